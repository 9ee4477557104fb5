"""The notification centre, shared by buyers and sellers."""
