"""The figure views, a module per subject: each builder and its View declared together."""
