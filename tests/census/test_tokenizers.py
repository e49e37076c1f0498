from tokenizers import Tokenizer, models, pre_tokenizers, trainers


def test_train_and_encode():
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=60, special_tokens=["[UNK]"])
    tok.train_from_iterator(["hello world", "hello there", "world peace"] * 20, trainer)
    enc = tok.encode("hello world")
    assert "".join(enc.tokens) == "helloworld"
    assert enc.offsets[0][0] == 0 and enc.offsets[-1][1] == 11
    assert tok.token_to_id("[UNK]") == 0
    assert tok.get_vocab_size() <= 60
    batch = tok.encode_batch(["hello", "peace"])
    assert [len(e.ids) > 0 for e in batch] == [True, True]
