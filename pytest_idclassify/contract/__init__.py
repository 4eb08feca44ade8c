"""The built-in contract suite: run it with ``pytest --pyargs pytest_idclassify.contract`` or ``idclassify verify``.

Every test is one case of the clause catalogue; its id is ``<clause id>[<label>]``, so
``-k request.image.side-min`` selects a clause.
"""
