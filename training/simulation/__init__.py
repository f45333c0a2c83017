"""A synthetic world with hidden ground truth, and simulated feed sessions.

    report = seed_world(engine, home, WorldConfig(users=10_000, days=30), progress)    # seeding.py
    played = run_sessions(engine, home, SessionConfig(sessions=100_000, policy="chronological"), progress)

`world.py` generates users (hidden interests over K topics, activity, quality), a follow graph and
posts; `writer.py` writes them through the social core's tables and outbox; the hidden truth stays in
`{home}/simulation/truth.npz` (`truth.py`). `sessions.py` plays feed sessions through a `Policy`
(`policies.POLICIES`), acting by the hidden behaviour model (`behaviour.py`), and writes impressions
and actions like the services do (`session_log.py`).
"""
