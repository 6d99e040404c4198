"""Building and storing the index: sources → articles → chunks → vectors in Chroma, with a keyword sidecar."""

from index.offline import set_offline_environment

set_offline_environment()  # first, before any library that reads these variables is imported
