"""Fixtures for the MediaWiki plugin: a real wiki per test (see tests/support/mediawiki.py).

``wiki`` yields a running :class:`tests.support.mediawiki.Wiki`; ``wiki.person`` edits,
reads and protects pages as another user, ``wiki.stop()``/``wiki.start()`` simulate an
outage.
"""

from tests.support.mediawiki import mediawiki_template, wiki

__all__ = ["mediawiki_template", "wiki"]
