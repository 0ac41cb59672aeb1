"""What media talks to beyond its database: the private bucket, intake (RPC), and URLs it fetches."""
