"""Custom taxonomies: reviewing along dimensions nothing was trained on.

:mod:`.detect` says which taxonomy dimensions an opinion unit speaks to, from the dimensions'
descriptions and seeds (embedding similarity and seed patterns, combined by a small
dimension-agnostic model fitted on the default taxonomy as if it were untrained, see
:mod:`.calibrate`) and, where a dimension ``maps_to`` default ones, from the trained
aspect-sentiment classifier. :mod:`.review` turns that into the review contract with the
taxonomy's ids; :mod:`.inspect` is what ``company-reviewer taxonomy show --sample`` prints.
"""
