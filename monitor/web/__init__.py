"""The web side: the HTTP listener (routing, auth at its edge), the site's pages and charts, all from stored figures.

Nothing of the daemon lives here: the daemon starts the server and hands it what it may read.
"""
