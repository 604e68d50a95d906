"""Workflows: each streams records from an input to a resumable output."""
