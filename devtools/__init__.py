"""Development tools: the local launcher (`make run`), the local stack, and the pytest fixtures; never
imported by libs/ or services/ at run time."""
