"""Property: the SQL aggregates (roll-ups, series, records) equal a plain Python computation over random sets."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import Profile, User
from app.extensions import db
from app.training import analytics
from app.training import services as training_services

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Pacific/Auckland", "Asia/Kolkata"]
START = datetime(2026, 2, 20, tzinfo=UTC)  # the range crosses the March DST changes of both hemispheres' zones
_seq = itertools.count(1)

a_set = st.fixed_dictionaries(
    {
        "weight_kg": st.one_of(st.none(), st.integers(0, 80).map(lambda n: n * 2.5)),
        "reps": st.one_of(st.none(), st.integers(0, 15)),
    }
).map(lambda s: s if s["reps"] is not None else {**s, "duration_s": 30})
a_session = st.tuples(st.integers(0, 60 * 24 * 70), st.lists(a_set, min_size=1, max_size=6))


def epley(weight: float, reps: int) -> Decimal:
    """Epley rounded half up to 0.01, as PostgreSQL's numeric round does."""
    value = Decimal(str(weight)) * (1 + Decimal(reps) / 30)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def period_of(moment: datetime, tz: str, bucket: str) -> date:
    day = moment.astimezone(ZoneInfo(tz)).date()
    return analytics.bucket_start(day, bucket)


def expected_series(logged: list[tuple[datetime, int, list[dict]]], tz: str, bucket: str) -> list[dict]:
    buckets: dict[date, dict] = defaultdict(lambda: {"w": [], "e": [], "volume": Decimal(0), "sets": 0, "reps": 0})
    for started_at, _sid, sets in logged:
        acc = buckets[period_of(started_at, tz, bucket)]
        for s in sets:
            weight, reps = s["weight_kg"], s["reps"]
            acc["sets"] += 1
            acc["reps"] += reps or 0
            acc["volume"] += Decimal(str(weight or 0)) * (reps or 0)
            if reps and weight is not None:
                acc["w"].append(weight)
                acc["e"].append(epley(weight, reps))
    return [
        {
            "period": period,
            "max_weight_kg": max(acc["w"]) if acc["w"] else None,
            "est_1rm_kg": float(max(acc["e"])) if acc["e"] else None,
            "volume_kg": float(acc["volume"]),
            "sets": acc["sets"],
            "reps": acc["reps"],
        }
        for period, acc in sorted(buckets.items())
    ]


def expected_records(logged: list[tuple[datetime, int, list[dict]]]) -> dict:
    order = sorted(logged, key=lambda item: (item[0], item[1]))
    lifts = [(w["weight_kg"], w["reps"], started, sid) for started, sid, sets in order for w in sets
             if w["reps"] and w["weight_kg"] is not None]  # fmt: skip
    best_at: dict[float | None, tuple] = {}
    for _started, sid, sets in order:
        for s in sets:
            if s["reps"]:
                key = s["weight_kg"]
                if key not in best_at or s["reps"] > best_at[key][0]:
                    best_at[key] = (s["reps"], sid)
    heaviest = max(lifts, key=lambda lift: (lift[0], lift[1]), default=None)
    heaviest_first = None
    if heaviest is not None:
        heaviest_first = (heaviest[0], best_at[heaviest[0]][0], best_at[heaviest[0]][1])
    best = max((epley(w, best_at[w][0]) for w in best_at if w is not None), default=None)
    volumes = [(sum(Decimal(str(s["weight_kg"] or 0)) * (s["reps"] or 0) for s in sets), started, sid)
               for started, sid, sets in order]  # fmt: skip
    top = max((v for v, _, _ in volumes), default=Decimal(0))
    return {
        "heaviest": heaviest_first,
        "best_1rm": float(best) if best is not None else None,
        "reps_at": {w: best_at[w] for w in best_at},
        "volume": next(((float(v), sid) for v, _, sid in volumes if v == top), None) if top > 0 else None,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tz=st.sampled_from(ZONES), sessions=st.lists(a_session, min_size=1, max_size=8))
def test_sql_aggregates_equal_python(squat, tz, sessions):
    n = next(_seq)
    athlete = User(email=f"prop{n}@example.com", username=f"prop{n}", profile=Profile(timezone=tz))
    db.session.add(athlete)
    db.session.flush()
    logged = []
    for minutes, sets in sessions:
        started = START + timedelta(minutes=minutes)
        numbered = [{"exercise_id": squat.id, "set_number": i + 1, **s} for i, s in enumerate(sets)]
        session = training_services.create_session(athlete, {"started_at": started, "sets": numbered})
        logged.append((started, session.id, sets))

    for bucket in ("day", "week", "month"):
        got = analytics.series(athlete.id, squat.id, bucket, tz, None, None)
        assert got == expected_series(logged, tz, bucket), bucket

    records = analytics.personal_records(athlete.id, squat.id, tz)
    want = expected_records(logged)
    heaviest = records["heaviest_weight"]
    assert (heaviest and (heaviest["weight_kg"], heaviest["reps"], heaviest["session_id"])) == (want["heaviest"])
    assert (records["best_est_1rm"] and records["best_est_1rm"]["est_1rm_kg"]) == want["best_1rm"]
    assert {r["weight_kg"]: (r["reps"], r["session_id"]) for r in records["most_reps_at_weight"]} == want["reps_at"]
    volume = records["most_volume_session"]
    assert (volume and (volume["volume_kg"], volume["session_id"])) == want["volume"]
