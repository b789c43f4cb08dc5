"""Audit trail of copy batches in the workspace."""
