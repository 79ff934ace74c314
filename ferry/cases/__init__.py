"""Case management: the evacuation pipeline, assignment, tasks, needs, referrals and check-in plans."""
