"""The random walk through a user's steps, on the real CLI (tests/e2e/test_random_walk.py)."""
