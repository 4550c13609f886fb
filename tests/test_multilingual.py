"""The multilingual encoder reads a report the same way in every language."""

import numpy as np

from transforms.multilingual import DIMENSIONS, MultilingualEncoder


def test_a_translation_lies_closer_than_another_story():
    encoder = MultilingualEncoder.load()
    assert MultilingualEncoder.load() is encoder  # loaded once per process
    english, russian, armenian, other = encoder.passages(
        [
            "Russian forces shelled Kremenchuk overnight, killing two civilians.",
            "Российские войска ночью обстреляли Кременчуг, погибли двое мирных жителей.",
            "Ռուսական զորքերը գիշերը հրետակոծել են Կրեմենչուգը, զոհվել է երկու խաղաղ բնակիչ։",
            "The central bank kept interest rates unchanged and the stock market rose.",
        ]
    )
    assert english.shape == (DIMENSIONS,)
    assert np.isclose(np.linalg.norm(english), 1.0, atol=1e-3)
    assert english @ russian > english @ other + 0.05
    assert english @ armenian > english @ other + 0.05


def test_no_texts_give_an_empty_matrix():
    assert MultilingualEncoder.load().passages([]).shape == (0, DIMENSIONS)
