"""Media's tables (`models`) and the SQL over them (`media`)."""
