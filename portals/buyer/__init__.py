"""The buyer portal: my orders (the front page), filing and following after-sales requests."""
