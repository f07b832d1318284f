"""The write path: the job queue and its lifecycle, launching planned jobs, storing results."""
