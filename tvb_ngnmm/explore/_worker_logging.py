"""Imported last by the local cluster's fork server, after Dask has set up its logging: the
workers forked from it keep Dask's warnings and errors but not its INFO messages (a dozen lines
per worker as it starts and stops, in a notebook's cells and a script's output), as the calling
process holds them back while the cluster runs (:func:`.sweep._connect`)."""

import logging

logging.getLogger("distributed").setLevel(logging.WARNING)
