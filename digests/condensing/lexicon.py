"""The word lists of the condensing code, in one place: abbreviations and sentence openers (the
sentence splitter), words no sentence ends on (mending split paragraphs), stopwords (the
summary), verbs of saying, titles, pronouns, descriptions of people and common first names
(quote attribution and the people finder)."""

from __future__ import annotations

import re


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def trie_pattern(words: frozenset[str]) -> str:
    """A regex alternation shaped as a trie (fast to match: one branch per letter)."""
    heads: dict[str, set[str]] = {}
    for w in words:
        heads.setdefault(w[:1], set()).add(w[1:])
    parts: list[str] = []
    for head in sorted(heads):
        rests = heads[head]
        optional = "" in rests
        rests.discard("")
        if not rests:
            parts.append(re.escape(head))
            continue
        inner = trie_pattern(frozenset(rests))
        parts.append(re.escape(head) + "(?:" + inner + ")" + ("?" if optional else ""))
    return "|".join(parts)


# --- sentences -------------------------------------------------------------------------------
# abbreviated titles whose full stop never ends a sentence ("Mr.", "Sen.", "No. 10")
TITLE_ABBREVIATIONS = word_set(
    "mr mrs ms dr st sen rep gov jr sr gen lt col sgt capt maj adm cmdr prof rev fr no"
)
# abbreviated titles written like a state ("Del." = Delegate, and Delaware): a title before a
# name, unless a comma puts them after a place ("Dover, Del.")
STATE_LIKE_TITLES = frozenset({"Del"})
# every abbreviation the summary's splitter knows: the titles, months, "etc", "vs", "Blvd"...
ABBREVIATIONS = TITLE_ABBREVIATIONS | word_set(
    """mx cpt pres supt insp det cllr hon messrs mme mlle nos vs etc approx dept est fig vol ch
    pp ed eds op cit al jan feb mar apr jun jul aug sep sept oct nov dec mt ft ave blvd rd corp"""
)
# words that, after a dotted acronym ("U.S."), show a new sentence has begun
SENTENCE_STARTERS = word_set(
    """the a an he she it they we i you his her its their our this that these those there but
    and so yet in on at for after before when while if as however meanwhile now then mr mrs
    ms dr police officials some many one two"""
)

# --- summaries: sentences and page furniture (issue 11) ------------------------------------
# AP-style abbreviations of US states and Canadian provinces, matched as written (capitalised):
# "Lansing, Mich." ends a sentence only before a typical sentence opener
PLACE_ABBREVIATIONS = word_set(
    """Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss Mo
    Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo Alta Ont Que Sask Man"""
)
# names written with an exclamation mark that does not end a sentence ("Yahoo! News")
BANG_NAMES = word_set("yahoo jeopardy wham")
# month names after which a numbered day's full stop is an ordinal ("am 3. Oktober")
ORDINAL_MONTHS = word_set(
    """januar jänner februar märz april mai juni juli august september oktober november dezember
    janvier février mars avril juin juillet août septembre octobre novembre décembre
    januari februari maart mei augustus juni juli oktober
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada
    grudnia ledna února března dubna května června července srpna září října listopadu prosince"""
)
# lower-case abbreviations of other languages whose full stop never ends a sentence
FOREIGN_ABBREVIATIONS = word_set("г гг ул им др проф акад т е п пр бл нр z zb bzw usw vgl ca")

# --- summary -----------------------------------------------------------------------------------
# words that carry no topic: left out of the summary's tf-idf vectors
STOPWORDS = word_set(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours out over own said same says she should so some such than that the
    their theirs them then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours mr
    mrs ms dr"""
)

# words left out when comparing stories' titles and ledes for clustering (``digests.compose``):
# a shorter list than ``STOPWORDS`` ("new" in, "above", "few"... out), which the clustering
# thresholds were set with
CLUSTER_STOPWORDS = word_set(
    """a about after again against all also an and any are as at be because been before being
    but by can could did do does for from had has have he her here his how i if in into is it
    its just more most new no not now of on once only or other our out over said says she so
    some than that the their them then there these they this those through to too under up
    very was we were what when where which while who why will with would you your"""
)

# --- attribution -------------------------------------------------------------------------------
SAY_VERBS = word_set(
    """said says say saying told tells tell added adds explained explains declared declares
    continued continues wrote writes asked asks argued argues insisted insists noted notes stated
    states warned warns claimed claims admitted admits acknowledged acknowledges replied replies
    responded responds recalled recalls conceded concedes suggested suggests tweeted tweets posted
    announced announces promised promises joked jokes quipped quips complained complains
    countered counters concluded concludes predicted predicts urged urges observed observes
    remarked remarks reported reports maintained maintains cautioned cautions boasted boasts
    lamented laments emphasized emphasised stressed stresses contended contends alleged alleges
    vowed vows pledged pledges added. shouted yelled cried exclaimed whispered pleaded mused
    proclaimed announced confirmed confirms opined thundered
    chimed interjected recounted reiterated reiterates agreed agrees disagreed objected retorted
    snapped scoffed sniped blasted slammed charged charges accused accuses criticized
    criticised praised commented comments testified testifies tells wondered wonders
    answered answers blogged texted emailed adding saying noting arguing claiming calling
    called calls dubbed labeled labelled branded lamented decried worried fretted mocked
    insisting warning telling writing tweeting asking explaining describing declaring
    referring promising vowing pledging urging accusing recalling stressing suggesting
    acknowledging admitting complaining boasting joking blasting slamming criticizing
    praising questioning quoting quoted cited citing touted touting hailed hailing
    characterized characterizing predicting announcing conceding continuing concluding
    remembered fumed raged griped gushed marveled marvelled sighed bragged crowed offered
    described describes rejected rejects dismissed dismisses denounced denounces begged begs
    termed terms characterised
    reasoned ventured pointed went explains recalls insists beamed barked pressed chuckled
    laughed smiled sneered groaned raved ranted roared teased cheered exhorted implored
    elaborated contended rebutted rejoined responds assured"""
)
# verbs that take "X: '…'" or "…, X said" but may also be followed by an object ("told reporters")
OBJECT_VERBS = word_set("told tells tell asked asks urged urges called calls accused accuses")
INVERTIBLE = SAY_VERBS - OBJECT_VERBS - frozenset(
    w for w in SAY_VERBS if w.endswith("ing")
) | word_set("asked asks")

ADVERBS = word_set(
    """also later then has had have was were is are would will could might previously
    recently once further again earlier subsequently simply just repeatedly often still
    reportedly allegedly quickly flatly angrily bluntly frankly famously publicly privately
    initially finally only even not never sometimes had, has,"""
)

PRONOUNS = {"he": "m", "she": "f", "him": "m", "her": "f"}
OTHER_PRONOUNS = word_set("they we i it you who which that this these those one")

#: words no sentence ends on: a paragraph that stops on one was cut short by the page's markup
#: (``text.continues``)
OPEN_ENDINGS = word_set("a an the and or but of its their his our your my")

DETERMINERS = word_set(
    """a an the one another his her their its our my your some many several two three four
    five both each other others this that these those any most all no such former"""
)

# definite descriptions that refer back to a person already named ("said the 34-year-old")
PERSON_NOUNS = word_set(
    """year-old chancellor president minister senator governor candidate nominee businessman
    businesswoman billionaire actor actress star singer director player striker coach manager
    midfielder defender champion leader chairman chairwoman mogul lawmaker congressman
    congresswoman congressmember frontrunner front-runner republican democrat democratic
    candidate mayor secretary executive founder author writer filmmaker rapper veteran tycoon
    premier chief officer pollster strategist commentator host anchor veteran politician
    governor-elect president-elect senator-elect official aide advisor adviser economist
    analyst spokesman spokeswoman spokesperson woman man boss prosecutor lawyer attorney
    judge father mother wife husband son daughter brother sister activist actor musician
    comedian presenter
    winner runner-up forward goalkeeper captain skipper batsman bowler
    striker keeper international frontman
    owner resident witness passenger driver teacher student worker employee customer
    neighbour neighbor shopkeeper farmer nurse doctor victim survivor fan voter parent
    shopper commuter protester protestor volunteer pensioner"""
)
# nouns for a person's role that sit between two names ("Obama consultant Cornell Belcher")
ROLE_NOUNS = word_set(
    """consultant professor fundraiser lobbyist donor surrogate ally operative staffer organizer
    organiser campaign adviser advisor aide spokesman spokeswoman spokesperson chairman
    chairwoman manager director strategist pollster lawyer attorney friend colleague
    correspondent reporter columnist editor host moderator"""
)
# words opening an introductory phrase ("Asked about Trump, Christie said")
INTRO_WORDS = word_set(
    "as after before when while although though if in on at during despite since until once "
    "with without from for because unlike like amid given"
)
# groups of people that speak as one ("officials said"); never "he" or "she"
PEOPLE_PLURALS = word_set(
    """people officials aides critics supporters voters experts analysts residents sources
    protesters activists members leaders democrats republicans lawmakers advocates observers
    organizers fans officers police investigators prosecutors lawyers attorneys scientists
    researchers economists doctors workers employees executives witnesses parents students
    teachers authorities opponents allies delegates aides advisers advisors insiders"""
)
# these are only resolved back to a named person after "the" (never "a spokesman")
GENERIC_NOUNS = word_set("spokesman spokeswoman spokesperson woman man official aide source")

MALE_TITLES = word_set("mr mister sir lord king prince father fr brother monsieur herr signor")
FEMALE_TITLES = word_set("mrs ms miss lady dame queen princess sister madam madame mme frau")
# titles that mark a person ("Sen. Cruz", "Mr Brown")
TITLES = word_set(
    """dr prof professor rev reverend sen senator rep representative gov governor president
    judge justice gen general col colonel lt lieutenant capt captain coach mayor ambassador
    sheriff detective sgt sergeant pope cardinal bishop archbishop rabbi imam sheikh
    congressman congresswoman assemblyman councilman councilwoman commissioner chancellor
    secretary minister premier chairman chairwoman mp mep saint cmdr commander adm admiral maj
    brig brigadier cpl corporal pvt supt superintendent insp inspector det cllr councillor
    amb marshal constable"""
)
# descriptive words that may precede a name and are dropped ("Republican nominee Donald Trump")
DESCRIPTORS = word_set(
    """vice prime executive director former candidate nominee democrat republican democratic
    gop officer attorney state house senate majority minority leader whip presidential chief
    manager boss striker midfielder defender goalkeeper forward skipper shadow foreign home
    health education defence defense trade labor labour first independent conservative liberal
    tory tories socialist vice-president deputy acting interim new old late then current
    incumbent british american french german russian chinese mexican front-runner
    frontrunner billionaire businessman mogul host anchor pollster strategist economist analyst
    author actor actress singer star rapper producer filmmaker writer speaker chair st
    dj spokesman spokeswoman adviser advisor aide lawyer president-elect ceo cfo coo cto founder
    co-founder rival challenger opponent"""
)

NON_NAME_CAPS = word_set(
    """the a an and but or so yet for nor as at by in on of to from with without into onto
    upon within after before since while when whenever where if though although because unless until
    this that these those there here it its he she they we i you his her their our my your
    him them us me who what which whom whose why how not no yes all any some many most more
    much other another such both each every either neither one two three four five also then
    now still just even only however meanwhile instead indeed moreover furthermore besides
    otherwise thus hence therefore later earlier today tonight yesterday tomorrow last next
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december speaking asked according said says
    told added did do does has have had is are was were be been being will would can could
    should must might shall let like unlike despite during among amid over under between
    about above below across against along around behind beyond near off out through
    throughout toward towards via per dear well oh ok okay mrs mr ms
    sen rep gov dr"""
)

# a small list of common given names (gender hints; names not here are still found by titles,
# by pronoun votes, and by being the explicit subject of a verb of saying)
MALE_FIRST = word_set(
    """aaron adam adrian al alan albert alex alexander alfred andre andrew andy angus anthony
    antonio arnold arthur ashton barack barry ben benjamin bernard bernie bill billy bob bobby
    boris brad bradley brendan brian bruce bryan carl carlos charles charlie chris christian
    christopher chuck clint colin craig dale dan daniel danny darren dave david dean dennis
    derek dick dominic don donald doug douglas duncan dwight ed eddie edward elijah elliot
    elton eric ernest evan frank franklin fred frederick gareth gary gavin geoff geoffrey
    george gerald gerry gordon graham greg gregory guy harold harry harvey hector henry herman
    howard hugh ian isaac jack jacob jake james jamie jared jason jay jeb jeff jeffrey jeremy
    jerry jesse jim jimmy joe joel john johnny jon jonathan jordan jose joseph josh joshua juan
    julian justin keith ken kenneth kevin kieran kurt lance larry lee leo leon lewis lindsey
    louis luis luke malcolm marco mark martin matt matthew max michael mick mike mitch mitt
    nathan neil newt nick nicholas nigel noah norman oliver owen patrick paul pete peter phil
    philip ralph randy ray raymond reince rex richard rick rob robert robby robin rod rodney
    roger ron ronald ross roy rudy rupert russell ryan sam samuel scott sean sebastian seth
    shaun simon stanley stephen steve steven stuart ted terry thomas tim timothy toby todd tom
    tommy tony travis trevor troy vince vincent walter warren wayne wesley will william woody
    zach rahm reid harry ted rand jeb marco ben lindsey newt rudy corey kellyanne stephen
    jared eric mike tim bernie joe barack chuck mitch kevin paul elijah jerrold adam devin
    jim orrin lamar trey jason darrell ami omarosa sean anthony reince steve hope stephen
    gary rex wilbur betsy ryan nikki jeff rick scott tom ben elaine mick roman ashley joss
    lleyton rafael roger novak andy tim marat lleyton gordon tony ken abe abraham ahmed ali
    allen alvin ambrose amos andres angelo archie arturo austin barney bart ben bennie bert
    blake bo brent brett brock bruno byron caleb calvin cameron cecil cedric chad chester
    cliff clifford clyde cody conor connor cory curtis cyrus dallas damian damon dante darius
    darrell darryl dennis desmond dexter diego dirk don donnie dylan earl eduardo edwin eli
    emanuel emmanuel enrique ernie erik ethan eugene felix fernando floyd francis francisco
    fred freddie gabriel garrett gene gil gilbert glen glenn grant hank hans harrison herb
    herbert horace hunter ira irving ivan jackson jaime jamal javier jeremiah jerome jimmie
    joaquin joey jorge jude jules karl ken kenny kirk kyle lamar lars lawrence leonard leroy
    lester lionel lloyd lorenzo lou lucas luther lyndon mac manuel marcus mario marshall marty
    marvin mason maurice melvin micah miguel miles milton mohamed mohammed muhammad murray
    nate nathaniel ned nelson nicolas nolan omar orlando oscar otis pablo pat patrick percy
    perry pierre preston quentin rafael ramon randall raul reggie reginald rene reuben ricardo
    ricky riley roberto rocco rodrigo roland roman ron rory ruben rudolph rufus salvador
    sammy sandy santiago saul sergio seymour sheldon sherman sidney silas sonny spencer stan
    sterling stuart sylvester ted teddy terrence theo theodore thurgood tobias tod tommy trent
    tyler tyrone ulysses vernon victor vladimir wade wallace walt ward wendell wes wilbur
    wiley willard willie wilson winston xavier yusuf zachary zack cory rick jeff newt reince
    hakeem ammon cliven rand rush sean geert nigel boris emmanuel justin enda angus fidel
    raul hugo evo luiz jair nicolas vladimir sergei dmitry xi shinzo narendra benjamin bibi
    recep bashar hassan mahmoud kim moon rodrigo jacob cyril robert mohammad"""
) - word_set("hope nikki betsy elaine ashley kellyanne omarosa lindsey robin")
FEMALE_FIRST = word_set(
    """abigail alice alison amanda amy andrea angela ann anna anne annie barbara betsy beth
    betty beverly brenda carly carol caroline carolyn catherine charlotte cheryl chelsea
    christina christine claire clare cynthia dana deborah debbie debra denise diana diane
    donna doris dorothy elaine eleanor elizabeth ellen emily emma erin eva evelyn fiona frances
    gillian gloria grace hannah harriet heather heidi helen hillary hope huma irene jackie
    jacqueline jane janet janice jean jennifer jessica jill joan joanna jodi joyce judith judy
    julia julie karen kate katherine kathleen kathy katie kay kayleigh kelly kellyanne kim
    kimberly kirsten laura lauren linda lisa liz lori louise lucy lynn madeleine margaret maria
    marie marilyn martha mary megan melania melissa michelle monica nancy natalie nicola nicole
    nikki olivia pamela patricia paula penny rachel rebecca rose ruth sally samantha sandra
    sara sarah sharon shirley sophie stephanie sue susan suzanne tammy teresa theresa tina
    tracy valerie victoria virginia wendy zoe amy kamala elizabeth dianne debbie kirsten tulsi
    ivanka omarosa condoleezza madonna serena venus maria kim justine amelie lindsay davina
    kirsty keira kylie nicole meryl angelina adele agnes aileen alexandra alexis alicia alyssa
    amber angelica anita antoinette april arlene audrey autumn beatrice becky belinda bernadette
    bonnie brianna bridget brittany brooke camila candace cara carla carmen cassandra cecilia
    celeste celia charlene cindy claudia colleen connie constance cora courtney crystal daisy
    daphne darlene dawn delia della diane dolores dora edith edna eileen elaine elena eliza
    ella eloise elsa esther ethel eunice faith felicia fern flora florence francesca gail
    gemma georgia geraldine gina ginger gladys gwen hazel heidi helena hilary holly ida ingrid
    irma isabel isabella ivy jade janelle janine jasmine jeanne jenna jenny joan joanne jocelyn
    josephine juanita judi julianne june kara karin katrina kayla kendra kristen kristin
    kristina lana leah leila lena leslie lila lillian lily lois lola loretta lorraine louisa
    luisa lydia mabel madison mae maggie mandy marcia margarita marian marianne marion marjorie
    marlene maureen mavis maxine melanie mercedes mia mildred miranda molly muriel myra nadia
    naomi nina nora norma olga opal paige pam pamela patsy paulette pearl peggy phyllis
    priscilla rachael ramona regina renee rhonda rita roberta robyn rosa rosalind rosemary
    roxanne sabrina sadie sally selena shannon sheila shelby sherry sonia sonya stacey stacy
    stella summer susanna sylvia tamara tanya tara tessa thelma tiffany tonya tracey trisha
    ursula vanessa vera veronica vicki vivian wanda whitney yolanda yvonne zelda nancy dana
    donna loretta debbie nikki betsy elise huma neera jennifer kellyanne sarah katrina megyn
    ivanka chelsea theresa angela marine nicola hillary carly michele tammy jeanne cheryl
    hope ilyse cecile gilda marsha maxine barbara jan janet susana condoleezza madeleine"""
)


# --- people: the summary's finder of names by sentence -----------------------------------------
# small words a sentence writes in lower case and a title-case headline capitalises
TITLE_CASED_SMALL_WORDS = word_set(
    """Of The In To For And On With Is Are Has Have Said Says About That At By From As But Or
    Who What How Why Us We It Its His Her Their After Over Into"""
)
# capitalised words that never open a person's name ("The", "President", "Monday")
NOT_NAME_STARTS = word_set(
    """The A An In On At For But And Or If When While After Before This That These Those His
    Her Their Its Our Mr Mrs Ms Dr Sir Lord Lady President Prime Minister Secretary General
    Police Labour Conservative Democratic Republican British American English French German
    Chinese Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April May June July August September October November December New North South East West
    United Supreme High Royal National International Premier Champions World European"""
)
# job words that may open a capitalised run before a name ("Prisoner Carlos Boente")
JOB_WORDS = word_set(
    """actor actress singer star striker defender midfielder goalkeeper keeper coach manager
        boss captain skipper player rapper model presenter host chef prisoner suspect victim
        officer detective inspector sergeant constable judge lawyer minister senator governor
        president chancellor secretary chairman chairwoman chief director professor doctor
        nurse teacher pastor father mother son daughter wife husband brother sister grandmother
        grandfather widow mum dad veteran former late ex
        pilot soldier private corporal general admiral
        colonel major lieutenant commander mayor councillor spokesman spokeswoman founder
        ceo author writer filmmaker comedian"""
)
# capitalised words that make a run an organisation or a place, not a person
INSTITUTION_WORDS = word_set(
    """School University College Party Club Court Council Police Street Road City County
        Airlines Airport Hospital Church Bank Company Group Association Department Ministry Office
        House Hall Park Station Centre Center Museum Times News Post Journal League Cup FC United
        Committee Commission Agency Service Services Institute Foundation Government Senate
        Congress Parliament Assembly Avenue Square Bridge River Island Prize Award Awards
        Festival Show Street Inc Ltd Corporation Airways Railway Trust Union Army Navy Force"""
)
# lower-case words that make a capitalised run an organisation or a place (the quotes' finder)
ORG_WORDS = word_set(
    """house party union council committee bank club university association department ministry
    office news times post journal street court city county state states republic kingdom
    international group corp inc ltd fund foundation institute center centre campaign
    administration agency commission board senate congress parliament assembly government league
    cup open championships championship games airport hall road square tower museum school
    college church hospital company media network tv radio service services army force forces
    police guard airlines motors records studios united america africa europe asia island
    islands valley river lake park station project review press daily weekly magazine
    """
)

# Places that a capitalised run may be (countries, their people's adjectives, US states, large
# cities and regions), written "_" for a space: a place is no speaker ("Germany" from "Munich,
# Germany,"), and one fused before a name is cut ("Britain Liu Xiaming").
PLACES = frozenset(
    w.replace("_", " ")
    for w in word_set(
        """afghanistan albania algeria angola argentina armenia australia austria azerbaijan
    bahrain bangladesh belarus belgium bolivia bosnia brazil britain bulgaria burma cambodia
    cameroon canada chile china colombia congo croatia cuba cyprus czechia denmark ecuador egypt
    england eritrea estonia ethiopia europe finland france gaza georgia germany ghana greece
    guatemala haiti honduras hungary iceland india indonesia iran iraq ireland israel italy
    jamaica japan jordan kazakhstan kenya korea kosovo kuwait kyrgyzstan laos latvia lebanon
    libya lithuania luxembourg macedonia madagascar malaysia mali malta mexico moldova mongolia
    montenegro morocco mozambique myanmar namibia nepal netherlands nicaragua niger nigeria
    norway oman pakistan palestine panama paraguay peru philippines poland portugal qatar
    romania russia rwanda scotland senegal serbia singapore slovakia slovenia somalia spain
    sudan sweden switzerland syria taiwan tajikistan tanzania thailand tibet tunisia turkey
    turkmenistan uganda ukraine uzbekistan venezuela vietnam wales yemen zambia zimbabwe
    crimea kashmir xinjiang hong_kong macau donbas balkans africa asia america americas
    antarctica arctic caribbean scandinavia siberia
    united_states united_kingdom south_africa south_korea north_korea new_zealand saudi_arabia
    sri_lanka west_bank northern_ireland south_sudan ivory_coast puerto_rico el_salvador
    costa_rica dominican_republic czech_republic middle_east latin_america
    alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii
    idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon
    pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming
    new_hampshire new_jersey new_mexico new_york north_carolina north_dakota rhode_island
    south_carolina south_dakota west_virginia
    london paris berlin moscow beijing shanghai tokyo delhi new_delhi mumbai kolkata chennai
    bangalore karachi lahore islamabad kabul tehran baghdad damascus beirut jerusalem tel_aviv
    cairo istanbul ankara athens rome madrid barcelona lisbon brussels amsterdam vienna
    prague warsaw budapest kiev kyiv minsk stockholm oslo copenhagen helsinki dublin
    edinburgh glasgow manchester liverpool birmingham munich frankfurt hamburg geneva zurich
    milan naples seoul pyongyang hanoi bangkok manila jakarta singapore sydney melbourne
    toronto montreal vancouver ottawa chicago houston dallas boston atlanta miami seattle
    denver detroit phoenix philadelphia nashville los_angeles san_francisco las_vegas
    new_orleans san_diego lagos nairobi johannesburg addis_ababa khartoum riyadh dubai doha
    caracas havana lima bogota santiago buenos_aires mexico_city rio sao_paulo brasilia
    wuhan shenzhen taipei"""
    )
)
#: The people of a country or region, as adjectives or plurals ("Britons", "Uighurs")
DEMONYMS = word_set(
    """american americans british britons english french german germans italian italians
    spanish russian russians chinese japanese korean koreans indian indians pakistani
    pakistanis afghan afghans iranian iranians iraqi iraqis syrian syrians israeli israelis
    palestinian palestinians turkish egyptian egyptians saudi saudis ukrainian ukrainians
    polish dutch swedish norwegian danish finnish irish scottish welsh european europeans
    african africans asian asians mexican mexicans canadian canadians australian australians
    brazilian brazilians uighur uighurs uyghur uyghurs kurd kurds kurdish arab arabs muslim
    muslims christians jewish jews catholic catholics hindu hindus sikh sikhs
    tibetan tibetans latino latinos latina latinas hispanic hispanics"""
)
