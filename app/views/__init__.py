"""Figure views: each a named, shareable figure whose whole state lives in the query string."""
