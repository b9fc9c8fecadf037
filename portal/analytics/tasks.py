"""Celery tasks of the analytics app: thin wrappers that call one service each."""
