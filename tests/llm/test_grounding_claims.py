"""The grounding check with the shipped aspect-sentiment classifier: an LLM sentence is kept only
when its (dimension, sentiment) claims are the evidence's, not merely when it is similar to it.

Every sentence here is written for this test (fictional, no review text). Each case that the
classifier check must drop is one the similarity check alone keeps, so the test fails if the
classifier stops being consulted."""

from __future__ import annotations

import pytest

from company_reviewer.llm.grounding import GroundingCheck

EVIDENCE = ["The salary is well above market and the bonus is always paid on time.",
            "Great pay and a generous annual bonus.",
            "My manager never listens and changes priorities every week.",
            "Pay is good, I earn more than friends at other firms."]


@pytest.fixture(scope="module")
def checks():
    from company_reviewer.aspects.classify import load_aspect_classifier
    from company_reviewer.embedding import get_encoder

    encoder = get_encoder()
    with_claims = GroundingCheck(encoder, EVIDENCE, threshold=0.5, classifier=load_aspect_classifier(),
                                 dimension="salary")
    similarity_only = GroundingCheck(encoder, EVIDENCE, threshold=0.5)
    return with_claims, similarity_only


def test_the_evidence_is_read_as_the_pipeline_reads_it(checks):
    claims = set().union(*checks[0].support_claims)
    assert ("salary", "positive") in claims and ("management", "negative") in claims
    assert ("salary", "negative") not in claims


def test_sentences_keep_only_claims_the_evidence_makes(checks):
    with_claims, similarity_only = checks
    keep = ["Reviewers say the salary is well above market.", "The pay is great and the annual bonus is generous."]
    opposite = ["The salary is far below market and the bonus is never paid.",     # similar words, other sentiment
                "Pay is bad, I earn less than friends at other firms."]
    off_topic = ["The manager never listens and changes priorities every week."]  # true, but not about salary
    judged = dict(with_claims.reasons(keep + opposite + off_topic))
    assert all(judged[s] is None for s in keep), judged
    for sentence in opposite:
        assert judged[sentence] == "claims salary negative, which no evidence unit does"
    assert judged[off_topic[0]].startswith("not about salary")
    # The similarity check alone keeps every one of them: the classifier is what drops them.
    kept, dropped = similarity_only.check(keep + opposite + off_topic)
    assert kept == keep + opposite + off_topic and not dropped


def test_a_pro_must_read_positive_and_a_con_negative(checks):
    with_claims, similarity_only = checks
    praise, complaint = "Great pay and a generous bonus", "The bonus is never paid"
    assert with_claims.check([praise, complaint], min_words=2, side="pro") == ([praise], [complaint])
    assert with_claims.check([praise], min_words=2, side="con") == ([], [praise])
    assert similarity_only.check([praise, complaint], min_words=2) == ([praise, complaint], [])


def test_without_evidence_nothing_is_kept(checks):
    from company_reviewer.embedding import get_encoder

    empty = GroundingCheck(get_encoder(), [], threshold=0.0, classifier=checks[0].classifier, dimension="salary")
    assert empty.check(["Reviewers say the salary is well above market."]) == (
        [], ["Reviewers say the salary is well above market."])
