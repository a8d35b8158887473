"""Reliability and security tests: hostile input, faults, concurrency, no data lost."""
