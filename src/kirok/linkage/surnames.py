"""Korean family names: frequency order, conventional spellings, North Korean forms.

``SURNAMES`` lists the family names that cover about 98% of Koreans (Statistics Korea, 2015
census), most frequent first, each with the spellings seen in passports, the press and NGO lists
beyond what the romanization systems produce. The order matters: when one Latin spelling fits two
family names (MR "Chon" is 전 and 천; "Son" is 손 and 선), it is assigned to the more frequent one,
so the linkage compares like with like and the Hangul comparison decides the rest. Written with
McCune–Reischauer's marks (Ch'ŏn, Sŏn) such a spelling is not ambiguous, and is looked up with
them (``names.surname_class``).

``CONVENTIONAL_RR`` is the spelling most South Koreans use on passports, which is what an RR-era
document shows in practice (Kim, Lee, Park rather than the strict RR Gim, I, Bak).
``NORTH_FORMS`` gives the North's orthography for family names written with a word-initial ㄹ
(or ㄴ before an iotized vowel) in the North; the mapping takes the dominant Chinese character
(e.g. 유 is mostly 柳, written 류 in the North).
"""

from __future__ import annotations

# Hangul (South orthography) → extra Latin spellings. Frequency order.
SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("Kim", "Gim", "Ghim", "Kym"),
    "이": ("Lee", "Yi", "Rhee", "Ri", "I", "Li", "Rhie", "Yee", "Lie", "Leigh", "Rie", "Ree"),
    "박": ("Park", "Pak", "Bak", "Bahk", "Pahk"),
    "최": ("Choi", "Choe", "Ch'oe", "Chey", "Choy", "Tsoi", "Tsoy"),
    "정": ("Jung", "Jeong", "Chung", "Chong", "Joung", "Cheong", "Jong", "Chŏng"),
    "강": ("Kang", "Gang", "Kahng", "Khang"),
    "조": ("Cho", "Jo", "Joe", "Jho", "Choh", "Chough"),
    "윤": ("Yoon", "Yun", "Youn", "Yune"),
    "장": ("Jang", "Chang", "Jhang", "Zang"),
    "임": ("Lim", "Im", "Rim", "Yim", "Leem", "Rhim", "Lym"),
    "한": ("Han", "Hahn"),
    "오": ("Oh", "O", "Auh", "Ohe"),
    "서": ("Seo", "Suh", "So", "Sŏ", "Seoh", "Surh"),
    "신": ("Shin", "Sin", "Shinn", "Sheen"),
    "권": ("Kwon", "Gwon", "Kwŏn", "Kweon", "Kwun"),
    "황": ("Hwang", "Whang"),
    "안": ("Ahn", "An", "Ahne"),
    "송": ("Song", "Soung"),
    "전": ("Jeon", "Chun", "Chŏn", "Chon", "Jun", "Jeun", "Jon"),
    "홍": ("Hong", "Houng"),
    "유": ("Yoo", "Yu", "Ryu", "You", "Rhyu", "Ryoo", "Yuh", "Lyu", "Liu"),
    "고": ("Ko", "Go", "Koh", "Goh"),
    "문": ("Moon", "Mun", "Moun", "Mung"),
    "양": ("Yang", "Ryang", "Lyang"),
    "손": ("Son", "Sohn", "Shon"),
    "배": ("Bae", "Pae", "Bai", "Bea", "Pai"),
    "백": ("Baek", "Paek", "Paik", "Baik", "Back", "Pack"),
    "허": ("Heo", "Hur", "Hŏ", "Ho", "Huh", "Her"),
    "남": ("Nam", "Nahm"),
    "심": ("Shim", "Sim", "Sheem"),
    "노": ("Roh", "No", "Ro", "Noh", "Rho", "Nho"),
    "하": ("Ha", "Hah"),
    "곽": ("Kwak", "Gwak", "Kwack"),
    "성": ("Sung", "Seong", "Sŏng", "Seung"),
    "차": ("Cha", "Ch'a", "Tcha"),
    "주": ("Joo", "Ju", "Chu", "Choo", "Jou"),
    "우": ("Woo", "U", "Wu", "Wo"),
    "구": ("Koo", "Gu", "Ku", "Goo"),
    "나": ("Na", "Ra", "Rha", "Nah", "La"),
    "민": ("Min",),
    "진": ("Jin", "Chin", "Jhin"),
    "지": ("Ji", "Chi", "Jee", "Jhi"),
    "엄": ("Eom", "Um", "Ŏm", "Om", "Uhm", "Oum"),
    "채": ("Chae", "Ch'ae", "Chai", "Chea"),
    "원": ("Won", "Weon", "Wŏn", "Wun"),
    "천": ("Cheon", "Ch'ŏn", "Chun", "Chon", "Chyun"),
    "방": ("Bang", "Pang"),
    "공": ("Kong", "Gong"),
    "현": ("Hyun", "Hyŏn", "Hyon", "Hyeon"),
    "함": ("Ham", "Hahm"),
    "변": ("Byun", "Byeon", "Pyŏn", "Pyon", "Byon", "Pyun"),
    "염": ("Yeom", "Yŏm", "Yom", "Youm", "Ryom", "Yum"),
    "여": ("Yeo", "Yŏ", "Yo", "Yuh", "Ryo", "Yoh"),
    "추": ("Choo", "Chu", "Ch'u", "Chou"),
    "도": ("Do", "To", "Toh", "Doh"),
    "소": ("So", "Soh"),
    "석": ("Seok", "Sŏk", "Sok", "Suk", "Seog"),
    "선": ("Sun", "Seon", "Sŏn", "Son"),
    "설": ("Seol", "Sŏl", "Sol", "Sul"),
    "마": ("Ma",),
    "길": ("Gil", "Kil"),
    "연": ("Yeon", "Yŏn", "Yon", "Youn", "Ryon"),
    "위": ("Wi", "Wee", "Wie"),
    "표": ("Pyo", "P'yo", "Phyo"),
    "명": ("Myung", "Myeong", "Myŏng", "Myong"),
    "기": ("Ki", "Gi", "Kee"),
    "반": ("Ban", "Pan"),
    "왕": ("Wang",),
    "금": ("Keum", "Geum", "Kŭm", "Kum"),
    "옥": ("Ok", "Ock"),
    "육": ("Yuk", "Ryuk", "Yook"),
    "인": ("In",),
    "맹": ("Maeng", "Meng"),
    "제": ("Je", "Che", "Jae"),
    "모": ("Mo", "Moh"),
    "탁": ("Tak", "T'ak", "Thak"),
    "국": ("Kook", "Guk", "Kuk"),
    "어": ("Eo", "Ŏ", "Uh"),
    "은": ("Eun", "Ŭn", "Un"),
    "태": ("Tae", "Thae", "T'ae"),
    "용": ("Yong", "Ryong", "Young"),
    "경": ("Kyung", "Gyeong", "Kyŏng", "Kyong"),
    "봉": ("Bong", "Pong"),
    "남궁": ("Namgoong", "Namgung", "Namkung", "Nam-gung"),
    "황보": ("Hwangbo", "Hwangpo"),
    "제갈": ("Jegal", "Chegal"),
    "선우": ("Sunwoo", "Seonu", "Sŏnu", "Sonu"),
    "사공": ("Sagong", "Sakong"),
    "독고": ("Dokgo", "Tokko", "Dokko"),
    "서문": ("Seomun", "Sŏmun", "Suhmoon"),
}

COMPOUND_SURNAMES = frozenset(k for k in SURNAMES if len(k) == 2)

# Passport-style spellings used for RR-era names (first spelling is the conventional one).
CONVENTIONAL_RR: dict[str, str] = {h: variants[0] for h, variants in SURNAMES.items() if variants}
CONVENTIONAL_RR.update({"정": "Jung", "노": "Noh", "유": "Yoo", "추": "Choo"})

# MR spellings conventionally used in scholarship (ALA-LC): 이 is Yi, not I.
CONVENTIONAL_MR: dict[str, str] = {"이": "Yi"}

# South orthography → North orthography, by the dominant Chinese character.
NORTH_FORMS: dict[str, str] = {
    "이": "리",
    "임": "림",
    "유": "류",
    "양": "량",
    "노": "로",
    "나": "라",
    "여": "려",
    "염": "렴",
    "용": "룡",
    "육": "륙",
    "연": "련",
}
