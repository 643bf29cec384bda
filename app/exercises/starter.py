"""The starter library: ~870 real exercises mapped onto Spotter's enums, with a generated description.

Source: `data/exercises.json`, facts (name, category, level, mechanic, force, equipment,
primary and secondary muscles) from the public-domain (Unlicense) free-exercise-db data set
(github.com/yuhonas/free-exercise-db), trimmed to the fields used here. Nothing outside the
project is read at run time.

Mapping (source value → Spotter value):

| source `category`                                        | `category`                  |
|----------------------------------------------------------|-----------------------------|
| strength, powerlifting, olympic weightlifting, strongman | Strength                    |
| … whose name says "Balance" (not an Olympic lift)        | Balance                     |
| stretching                                               | Flexibility                 |
| … with a foam roll, or named "… Circles"/"… Rotation(s)" | Mobility                    |
| plyometrics                                              | Plyometrics                 |
| cardio                                                   | Cardio                      |

| source `level` | `difficulty_level` |
|----------------|--------------------|
| beginner       | Beginner           |
| intermediate   | Intermediate       |
| expert         | Advanced           |

`muscles`: the primary muscles, then the secondary ones, as spelled by the source
(`abdominals`, `lower back`, `middle back`, `quadriceps` ...).

| source `equipment`  | `equipment`        |
|---------------------|--------------------|
| body only           | `["body weight"]`  |
| null (not recorded) | `[]`               |
| kettlebells         | `["kettlebell"]`   |
| bands               | `["band"]`         |
| e-z curl bar        | `["ez curl bar"]`  |
| anything else       | itself: barbell, dumbbell, cable, machine, medicine ball, exercise ball, foam roll, other |

`description`: one sentence built from the facts, e.g. "A beginner compound pulling strength
exercise for the quadriceps, also working the glutes and hamstrings, using a barbell."
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from app.exercises.models import Category, Difficulty

DATA_FILE = Path(__file__).parent / "data" / "exercises.json"

STRENGTH_SOURCES = {"strength", "powerlifting", "olympic weightlifting", "strongman"}
CATEGORIES = {"stretching": Category.FLEXIBILITY, "plyometrics": Category.PLYOMETRICS, "cardio": Category.CARDIO}
LEVELS = {"beginner": Difficulty.BEGINNER, "intermediate": Difficulty.INTERMEDIATE, "expert": Difficulty.ADVANCED}
EQUIPMENT = {"body only": "body weight", "kettlebells": "kettlebell", "bands": "band", "e-z curl bar": "ez curl bar"}

KINDS = {
    "strength": "strength exercise",
    "powerlifting": "powerlifting exercise",
    "olympic weightlifting": "Olympic weightlifting movement",
    "strongman": "strongman event",
    "stretching": "stretch",
    "plyometrics": "plyometric drill",
    "cardio": "cardio exercise",
}
LEVEL_WORDS = {"beginner": "beginner", "intermediate": "intermediate", "expert": "advanced"}
FORCES = {"push": "pushing", "pull": "pulling", "static": "static"}
EQUIPMENT_PHRASES = {
    None: "",
    "body only": ", using body weight only",
    "other": "",
    "barbell": ", using a barbell",
    "dumbbell": ", using dumbbells",
    "cable": ", using a cable machine",
    "machine": ", using a machine",
    "kettlebells": ", using kettlebells",
    "bands": ", using resistance bands",
    "medicine ball": ", using a medicine ball",
    "exercise ball": ", using an exercise ball",
    "foam roll": ", using a foam roller",
    "e-z curl bar": ", using an EZ curl bar",
}
MOBILITY_SUFFIXES = ("circles", "circles (prone)", "rotation", "rotations")


def map_category(fact: dict[str, Any]) -> Category:
    """Map the source category (and, for two of our categories, the name or equipment) to ours."""
    source, name = fact["category"], fact["name"].lower()
    if source in STRENGTH_SOURCES:
        return Category.BALANCE if "balance" in name and source != "olympic weightlifting" else Category.STRENGTH
    if source == "stretching" and (fact["equipment"] == "foam roll" or name.endswith(MOBILITY_SUFFIXES)):
        return Category.MOBILITY
    return CATEGORIES[source]


def map_equipment(value: str | None) -> list[str]:
    """Map the source's one equipment value onto our list."""
    return [] if value is None else [EQUIPMENT.get(value, value)]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def describe(fact: dict[str, Any]) -> str:
    """Write one sentence describing an exercise from its facts."""
    words = [LEVEL_WORDS[fact["level"]], fact["mechanic"], FORCES.get(fact["force"]), KINDS[fact["category"]]]
    phrase = " ".join(word for word in words if word)
    article = "An" if phrase[0].lower() in "aeiou" else "A"
    sentence = f"{article} {phrase}"
    if fact["primary_muscles"]:
        sentence += f" for the {_join(fact['primary_muscles'])}"
    secondary = [m for m in fact["secondary_muscles"] if m not in fact["primary_muscles"]]
    if secondary:
        sentence += f", also working the {_join(secondary)}"
    return sentence + EQUIPMENT_PHRASES.get(fact["equipment"], f", using {fact['equipment']}") + "."


def to_exercise(fact: dict[str, Any]) -> dict[str, Any]:
    """Turn one source record into the fields of an Exercise."""
    muscles = list(dict.fromkeys(fact["primary_muscles"] + fact["secondary_muscles"]))
    return {
        "name": fact["name"].strip(),
        "description": describe(fact),
        "category": map_category(fact),
        "difficulty_level": LEVELS[fact["level"]],
        "muscles": muscles,
        "equipment": map_equipment(fact["equipment"]),
    }


@cache
def starter_exercises() -> tuple[dict[str, Any], ...]:
    """The starter library as Exercise fields, in the data file's order."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return tuple(to_exercise(fact) for fact in json.load(handle))
