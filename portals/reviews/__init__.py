"""Shop pages with their scores and reviews; rating a finished request; review photos."""
