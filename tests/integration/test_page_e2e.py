"""The page at / in headless Chromium (Debian's chromium and chromedriver), real server."""

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import ROOT, Server, copy_seeds

SHOTS = ROOT / "test-output" / "page"
SCRIPT_TEXT = "<script>window.pwned = 1</script> and <b>bold</b> markup stay text."
SEALS = "Last winter the Orbury lighthouse keeper, Mara Velt, counted 47 grey seals on the rocks."
LONG_LINE = (
    "The Orbury lighthouse stands on a granite spur at the mouth of the estuary. It was built in "
    "1871 by the harbour board and automated much later, after a long public debate. "
    + SEALS
    + " Visitors can climb its 112 steps on summer weekends, weather permitting, and the small "
    "museum beside it keeps the original lens, the logbooks and a model of the keeper's cottage."
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("page")
    docs = copy_seeds(base / "docs")
    (docs / "zz_markup.txt").write_text(f"Markup sample\n\n{SCRIPT_TEXT}\n")
    (docs / "zz_lighthouse.txt").write_text(f"The Orbury lighthouse\n\n{LONG_LINE}\n")
    server = Server({"QA_DOCS": str(docs), "QA_INDEX_DIR": str(base / "index")})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome')}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def ask(browser, site, question: str) -> None:
    browser.get(site.url + "/")
    box = WebDriverWait(browser, 30).until(ec.element_to_be_clickable((By.ID, "question")))
    box.clear()
    box.send_keys(question, Keys.ENTER)


def wait(browser, condition, seconds: float = 90):
    return WebDriverWait(browser, seconds).until(condition)


def test_answer_streams_then_chips_open_the_cited_line(browser, site):
    ask(browser, site, "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?")
    chip = wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#chips .chip")))
    answer = browser.find_element(By.ID, "answer-text").text
    assert "six" in answer.lower() and "[1]" in answer
    assert chip.text.startswith("[1] 000_0d498ca450f5f7ad.txt:")
    browser.save_screenshot(str(SHOTS / "1-answer.png"))
    chip.click()
    cited = wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "li.cited")))
    line_no = int(chip.text.split(":")[1].split("-")[0])
    assert cited.get_attribute("id") == f"line-{line_no}"
    assert "six" in cited.text.lower()
    in_view = (
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight;"
    )
    assert browser.execute_script(in_view, cited)  # scrolled into view
    browser.save_screenshot(str(SHOTS / "2-article-at-cited-line.png"))


def test_a_long_line_is_quoted_and_highlighted_by_its_sentence(browser, site):
    ask(browser, site, "How many grey seals did the Orbury lighthouse keeper count on the rocks?")
    chip = wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#chips .chip")))
    assert "47" in browser.find_element(By.ID, "answer-text").text
    assert chip.get_attribute("title") == SEALS  # the quote is the sentence, not the paragraph
    chip.click()
    mark = wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "li.cited mark")))
    assert mark.text == SEALS
    cited = browser.find_element(By.CSS_SELECTOR, "li.cited")
    assert "granite spur" in cited.text  # the whole line is shown, only the sentence marked
    browser.save_screenshot(str(SHOTS / "5-sentence-highlight.png"))


def test_abstention_is_shown_as_one(browser, site):
    ask(browser, site, "What is the recipe for a chocolate cake?")
    reason = wait(browser, ec.visibility_of_element_located((By.ID, "abstain-reason")))
    assert reason.text.startswith("Why: ")
    assert browser.find_element(By.ID, "answer-text").text == "The articles don't say."
    assert "abstained" in browser.find_element(By.ID, "answer").get_attribute("class")
    assert browser.find_elements(By.CSS_SELECTOR, "#closest-list button")
    assert not browser.find_elements(By.CSS_SELECTOR, "#chips .chip")
    browser.save_screenshot(str(SHOTS / "3-abstention.png"))


def test_a_question_that_asks_two_things_shows_both_answers_and_parts(browser, site):
    browser.get(site.url + "/")
    wait(browser, ec.element_to_be_clickable((By.ID, "new-conversation")), 30).click()
    ask(browser, site, "Who is the mayor of Kyiv, and who is the governor of the Belgorod region?")
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chips .chip")) == 2)
    answer = browser.find_element(By.ID, "answer-text").text
    assert answer == "Vitali Klitschko and Viacheslav Gladkov [1] [2]"  # a marker per line
    searched = browser.find_element(By.ID, "searched")
    assert searched.is_displayed() and searched.text.startswith("↳ asked in two parts: ")


def test_article_markup_is_shown_as_text(browser, site):
    browser.get(site.url + "/")
    link = wait(browser, ec.element_to_be_clickable((By.XPATH, "//button[text()='Markup sample']")))
    link.click()
    line = wait(browser, ec.visibility_of_element_located((By.ID, "line-3")))
    assert line.find_element(By.CSS_SELECTOR, ".text").text == SCRIPT_TEXT
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#source-lines b")
    browser.save_screenshot(str(SHOTS / "4-markup-as-text.png"))


def test_retrieval_toggle_and_phone_width(browser, site):
    ask(browser, site, "Who is the governor of the Belgorod region?")
    wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#chips .chip")))
    browser.find_element(By.ID, "show-details").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#retrieved tbody tr")
    assert len(rows) >= 3 and "total" in browser.find_element(By.ID, "timings").text
    browser.set_window_size(390, 844)
    scroll, inner = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner  # no sideways scrolling on a phone
    browser.save_screenshot(str(SHOTS / "5-phone.png"))
    browser.set_window_size(1280, 900)


def test_screens_were_saved():
    assert all((SHOTS / f"{n}").exists() for n in ("1-answer.png", "3-abstention.png"))
    assert Path(SHOTS).is_dir()


def test_page_asks_for_the_api_key_once(browser, built):
    keyed = Server({**built, "QA_API_KEY": "page-key"})
    try:
        browser.get(keyed.url + "/")
        alert = wait(browser, ec.alert_is_present(), 30)
        alert.send_keys("page-key")
        alert.accept()
        wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#articles button")), 30)
        browser.refresh()  # the key is kept for the session: no second prompt
        wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#articles button")), 30)
        assert browser.execute_script("return sessionStorage.getItem('qa-key')") == "page-key"
    finally:
        keyed.stop()


def ask_in_tab(browser, question: str) -> None:
    box = wait(browser, ec.element_to_be_clickable((By.ID, "question")), 30)
    box.clear()
    box.send_keys(question, Keys.ENTER)


def test_a_follow_up_leans_on_the_tab_s_conversation_until_a_new_one(browser, site):
    browser.get(site.url + "/")
    wait(browser, ec.element_to_be_clickable((By.ID, "new-conversation")), 30).click()
    ask_in_tab(browser, "Who is the governor of the Belgorod region?")
    wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#chips .chip")))
    assert "Gladkov" in browser.find_element(By.ID, "answer-text").text
    follow = "What did he say had entered Russian territory?"
    ask_in_tab(browser, follow)
    searched = wait(browser, ec.visibility_of_element_located((By.ID, "searched")))
    assert "Gladkov" in searched.text and searched.text.startswith("↳ searching:")
    turns = browser.find_elements(By.CSS_SELECTOR, "#turns li")
    earlier = [t.text.split(" → ")[0] for t in turns]
    assert earlier == ["Who is the governor of the Belgorod region?"]
    browser.save_screenshot(str(SHOTS / "6-follow-up.png"))
    browser.refresh()  # the conversation belongs to the tab: a reload keeps it
    wait(browser, ec.element_to_be_clickable((By.ID, "new-conversation"))).click()
    assert not browser.find_element(By.ID, "conversation").is_displayed()
    ask_in_tab(browser, follow)
    # the page was reloaded: the timings line is written once the answer has arrived
    wait(browser, lambda b: b.find_element(By.ID, "timings").get_attribute("textContent"))
    assert not browser.find_element(By.ID, "searched").is_displayed()
