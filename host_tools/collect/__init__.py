"""After the polls close: collect the bundles, with their acts, into the results database."""
