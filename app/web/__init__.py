"""What the web layer shares: templates, static assets, errors, auth, request dependencies."""
