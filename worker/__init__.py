"""memdash worker: pulls jobs over HTTP, trains and scores models; never touches the database."""
