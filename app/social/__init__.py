"""Social: activities now; follows, the feed, kudos, comments and privacy arrive with the social issue."""
