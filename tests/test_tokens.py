from rag import tokens


def test_cl100k_offline_matches_known_ids() -> None:
    # ids published for cl100k_base ("hello world" -> [15339, 1917])
    assert tokens.encoding().encode("hello world") == [15339, 1917]
    assert tokens.encoding().name == "cl100k_base"


def test_count_treats_special_token_text_as_text() -> None:
    assert tokens.count("<|endoftext|>") > 1
