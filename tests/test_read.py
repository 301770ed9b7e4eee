import pytest

from qa.read import Line, answer_type, best_spans, capitalised_runs, spans, type_phrase


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many Kinzhal missiles did Ukraine shoot down?", "number"),
        ("In what year did Putin present the Kinzhal?", "date"),
        ("When did the offensive start?", "date"),
        ("Who is the mayor of Kyiv?", "name"),
        ("In which city did the fighting take place?", "place"),
        ("Which agency took the picture?", "proper"),
        ("Which side has the upper hand when it comes to manpower?", "proper"),
        ("What does Kinzhal mean?", "meaning"),
        ("How often did the positions change hands?", "often"),
        ("On which weekdays were the gains announced?", "date"),
        ("Translated into English, what does Kinzhal mean?", "meaning"),
        ("What total area was liberated?", "other"),
        ("What did Kyiv mayor Vitali Klitschko tweet?", "other"),
        ("In which Ukrainian region is the town?", "place"),
        ("What do troops want to do to Bakhmut, which remains Russian?", "other"),
        ("According to the minister, which side has the upper hand?", "proper"),
    ],
)
def test_answer_type_follows_the_first_question_word(question, kind):
    assert answer_type(question) == kind


def test_capitalised_runs_link_of_and_the():
    text = "According to the Institute for the Study of War (ISW), Wagner left."
    runs = [t for _, t in capitalised_runs(text)]
    assert "Institute for the Study of War" in runs and "ISW" in runs and "According" not in runs


@pytest.mark.parametrize(
    "question, phrase",
    [
        ("Which research organization argued that?", "research organization"),
        ("Into which Russian province did they cross?", "province"),
        ("What type of operation had begun?", "operation"),
        ("What do troops want?", ""),
        ("Which think tank's assessments are cited?", "think tank assessments"),
        ("Which newswire admitted it?", "newswire"),
        ("Who said it?", ""),
    ],
)
def test_type_phrase_names_the_kind_asked_for(question, phrase):
    assert type_phrase(question) == phrase


def test_ordinals_start_names_and_directions_answer_where():
    unit = Line("a.txt", 1, "Soldiers from the 60th Battalion of Territorial Defense fired.", 0)
    assert "60th Battalion of Territorial Defense" in [s.text for s in spans("proper", unit)]
    near = Line("a.txt", 2, "Fighting near Klishchiivka, just southwest of Bakhmut.", 0)
    assert "southwest" in [s.text for s in spans("place", near, where=True)]
    assert "southwest" not in [s.text for s in spans("place", near, where=False)]


def test_a_figure_keeps_any_currency_sign_the_answer_shapers_know():
    fares = Line("a.txt", 3, "Fares rose to ₹55, a bond of ¥3.2bn was sold, tickets cost £75.", 0)
    assert [s.text for s in spans("number", fares)] == ["₹55", "¥3.2bn", "£75"]


def test_fit_reorders_candidates_and_is_kept_on_the_span():
    line = Line(
        "a.txt", 1, "Moscow said the Institute for the Study of War was wrong.", 0, 0.5, 0.2
    )

    def fit(phrase, texts):  # a stand-in for the embedder: likes institutes
        return [1.0 if "Institute" in t else 0.0 for t in texts]

    question = "Which research organization disagreed?"
    plain = best_spans("proper", question, [line], {})
    fitted = best_spans("proper", question, [line], {}, fit=fit)
    assert plain[0].text == "Moscow" and plain[0].fit is None
    assert fitted[0].text == "Institute for the Study of War" and fitted[0].fit == 1.0


def test_how_often_finds_frequencies_and_how_many_prefers_the_counted_noun():
    line = Line("a.txt", 1, "Positions changed hands twice a day, said two officials.", 0)
    assert [s.text for s in spans("often", line)] == ["twice a day"]
    both = Line("a.txt", 2, "The missiles hit 70,000 homes and 9 missiles fell short.", 0, 0.5, 0.2)
    best = best_spans("number", "How many missiles hit the town?", [both], {})
    assert best[0].text == "9"


def test_a_month_named_may_is_a_date_not_a_modal_verb():
    line = Line("a.txt", 1, "The town was captured by Russian forces in May after a long siege.", 0)
    assert [
        s.text for s in best_spans("date", "In what month was the town captured?", [line], {})
    ] == ["May"]


def test_a_title_or_a_place_is_not_a_name():
    text = "The Deputy Defense Minister said Maliar spoke near the Dnipro River."
    found = [s.text for s in best_spans("name", "Who spoke?", [Line("a.txt", 1, text, 0)], {})]
    assert found == ["Maliar"]


def test_a_meaning_is_the_gloss_in_quotes_or_parentheses():
    line = Line("a.txt", 1, "Kinzhal (“dagger” in Russian) missiles are hard to intercept.", 0)
    assert [s.text for s in spans("meaning", line)] == ["dagger"]


def test_which_dates_asks_for_the_range():
    line = Line("a.txt", 1, "The group will leave the town from May 25 to June 1, he said.", 0)
    ranged = best_spans("date", "During which dates will the group leave?", [line], {})
    single = best_spans("date", "On what date will the group leave?", [line], {})
    assert ranged[0].text == "from May 25 to June 1"
    assert {s.text for s in single} == {"May 25", "June 1"}


def test_which_part_is_answered_by_a_direction_and_datelines_are_not_news():
    text = "KYIV/Moscow, July 7 (Agency) - Ukraine says it still holds a sector in the southwest."
    line = Line("a.txt", 1, text, 0, 0.5, 0.2)
    best = best_spans("proper", "In which part of the city does Ukraine hold a sector?", [line], {})
    assert best[0].text == "southwest"


def test_spelling_variants_and_demonyms():
    from qa.read import DEMONYM, variant

    assert variant("defence", "defense") and variant("colour", "color")
    assert not variant("three", "there") and not variant("kyiv", "kiev")
    assert [w for w in ("Russian", "British", "Iran", "Japan", "Ivan") if DEMONYM.match(w)] == [
        "Russian",
        "British",
    ]


def test_page_furniture_by_shape():
    from qa.read import boilerplate

    assert boilerplate("Read more") and boilerplate("Share this story")
    assert not boilerplate("Six were injured.") and not boilerplate("Fee: 42m")
    assert boilerplate("Read more: Who are the strikers?")
    assert boilerplate("Related: Air Safety Inspectorate - how investigations work")
    assert boilerplate("Related: Vote moved to Tuesday | Bakery will reopen, vows owner")
    assert boilerplate("See also: Timeline of the strike, 2019-2024")
    assert not boilerplate("Photo: Evacuees rest on camp beds at the arena on Saturday night.")
    assert not boilerplate("Related talks will resume on Monday, the union said.")
    assert not boilerplate("Ten people died in the fire on Tuesday. Why did the alarms fail?")
    long_one = "Can the shops, their customers and suppliers keep paying prices this high for long?"
    assert not boilerplate(f"With prices up 4% in May, the question is simple. {long_one}")
    assert not boilerplate(f"{long_one} {long_one}")
    assert not boilerplate("“We have asked again and again. Why has nobody replied?")
    assert not boilerplate("“Why has nobody replied to the families?")
