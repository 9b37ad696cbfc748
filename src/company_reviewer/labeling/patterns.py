"""Hand-written cue patterns and sentiment lexicons for the labeling functions (data only).

The regular expressions catch phrasings the taxonomy seeds miss ("underpaid", "$20/hr",
"12-hour shifts", "lay-offs", "Überstunden"); they are matched case-insensitively against one
opinion unit. German nouns form compounds, so German cues are written as stems that may be
followed by more letters ("gehalt\\w*" matches "Gehaltserhöhung") and, where the stem is
distinctive, preceded by them ("\\w*gehalt" matches "Grundgehalt").

Patterns never use ``.`` or ``\\s`` across a line break on purpose: the local backend scans the
units of a chunk joined by newlines, so a pattern must not match across two units.
"""

from __future__ import annotations

# -- dimension cues: phrasings beyond the taxonomy seeds -----------------------------------------
# Keys are the default taxonomy's dimension ids; custom taxonomies simply get no regex LF for
# dimensions not listed here.
DIMENSION_PATTERNS: dict[str, dict[str, list[str]]] = {
    "salary": {
        "en": [r"\b(?:under|over|well|poorly|fairly|badly|highly|low|better|best|lowest)[- ]?paid\b",
               r"\$ ?\d", r"\b\d+(?:\.\d+)? ?(?:k|lpa|/hr|/hour|an hour|per hour)\b",
               r"\bpay ?(?:cuts?|scales?|grades?|bands?|freeze)\b",
               r"\b(?:salary|pay|comp) (?:hikes?|bumps?)\b", r"\bhikes?\b", r"\bincrements?\b", r"\bappraisals?\b",
               r"\bremunerat\w*|\brenumerat\w*", r"\bmoney\b", r"\bincome\b", r"\bearn(?:s|ed|ing|ings)?\b",
               r"\b(?:total )?comp\b", r"\bpaid (?:well|fairly|poorly|less|more|decently|nothing|peanuts)\b",
               r"\bpays? (?:well|decently|poorly|badly|fairly|little|less|more|peanuts|on time|the bills)\b",
               r"\b(?:the|good|great|decent|low|poor|bad|fair|competitive|high|ok|okay|average) pay\b",
               r"\bbonus\w*", r"\bincentives?\b", r"\bminimum wage\b", r"\bpay ?checks?\b", r"\bpaycheques?\b",
               r"\bcost of living\b", r"\bmerit\b", r"\bpay\b(?! attention)"],
        "de": [r"\w*gehalt\w*", r"\w*gehälter\w*", r"\w*lohn(?!t)\w*|\w*löhne\w*", r"\bbezahl\w*",
               r"\w*vergütung\w*", r"\bverdien\w*", r"\bgeld\b", r"\w*prämie\w*", r"\w*tarif\w*", r"\bentlohn\w*",
               r"\bunterbezahl\w*", r"\bbonus\w*", r"\b\d+ ?(?:k|€|euro)\b", r"\bbrutto\b|\bnetto\b",
               r"\b(?:igm|ig metall|era)\b", r"\bsonderzahlung\w*", r"\b13\. monatsgehalt\b"],
    },
    "benefits": {
        "en": [r"\b(?:health|medical|dental|vision|life) ?(?:insurance|coverage|care|plans?|benefits)\b",
               r"\b401 ?\(?k\)?", r"\bperks?\b",
               r"\bfree (?:food|lunch\w*|meals?|coffee|snacks?|breakfast|drinks|beer|fruit|dinners?)\b",
               r"\b(?:esop|espp|hsa|fsa|pto|ppto)\b", r"\bdiscounts?\b",
               r"\b(?:maternity|paternity|parental|sick|family) (?:leave|pay|policy)\b",
               r"\bpension\w*", r"\bcafeteria\b|\bcanteen\b|\bpantry\b|\bbarista\b", r"\binsurance\b",
               r"\bbenefit(?:s|ed)?\b", r"\bvacation (?:days|time|policy|allowance)\b",
               r"\bholiday (?:pay|allowance|entitlement)\b",
               r"\b\d+ (?:days|weeks) (?:of )?(?:pto|vacation|holiday|leave|paid)\b", r"\bgym\w*",
               r"\bwellbeing|wellness\b",
               r"\bretirement (?:plan|match|benefits|contributions?)\b", r"\bmatch(?:ing)? (?:contributions?|401)\b",
               r"\btuition\b", r"\bcompany (?:car|phone|laptop)\b", r"\bshuttle\b", r"\bchildcare\b|\bdaycare\b"],
        "de": [r"\w*sozialleistung\w*", r"\w*zusatzleistung\w*", r"\bbenefits?\b", r"\w*altersvorsorge\w*",
               r"\w*betriebsrente\w*", r"\bjob ?rad\w*|\bdienstrad\w*|\bbike ?leasing\b",
               r"\w*(?:dienst|firmen)wagen\w*",
               r"\w*zuschuss\w*|\w*zuschüsse\w*", r"\bjob ?ticket\w*|\bdeutschlandticket\b",
               r"\w*rabatt\w*", r"\bvermögenswirksam\w*", r"\bweihnachtsgeld\b|\burlaubsgeld\b",
               r"\bversicherung\w*", r"\bfitness\w*|\bsport\w*", r"\bcorporate benefits\b", r"\bmitarbeiterangebot\w*"],
    },
    "work_life_balance": {
        "en": [r"\bover ?time\b", r"\bweekends?\b", r"\bw/?l ?b\b", r"\bwork[- /]?life\b", r"\blife[- ]?balance\b",
               r"\blong (?:hours|days|nights|shifts|weeks)\b", r"\b\d+\+? ?(?:hours?|hrs?)\b", r"\b\d+[- ]hour\b",
               r"\bflexib\w*|\bflex\b", r"\bburn(?:ed|t|ing)?[- ]?out\b", r"\bpersonal (?:life|time)\b",
               r"\b(?:late|night) (?:nights|shifts|hours)\b", r"\bholidays?\b", r"\btime off\b", r"\bdays off\b",
               r"\bstress\w*", r"\bhours\b", r"\bschedul\w*", r"\bshifts?\b", r"\bbalance\b", r"\bfamily\b",
               r"\bon[- ]?call\b", r"\b24/7\b", r"\bovertime\b", r"\bovertime\b", r"\bovertime\b", r"\bfamily time\b",
               r"\bmidnight\b|\bchristmas\b|\bnew years?\b|\bthanksgiving\b", r"\bexhaust\w*"],
        "de": [r"\büberstunde\w*", r"\bwochenend\w*", r"\bwork[- ]?life\w*", r"\bfeierabend\w*", r"\w*gleitzeit\w*",
               r"\bfreizeit\w*", r"\w*urlaub\w*", r"\bflexib\w*", r"\w*arbeitszeit\w*",
               r"\bfamilie\w*|\bfamiliär bedingt\b",
               r"\bteilzeit\w*", r"\bstress\w*|\bgestresst\b", r"\bausgleich\w*", r"\bschicht\w*", r"\bzeiterfassung\b",
               r"\b(?:35|38|40|42|45)[- ]?(?:h|std|stunden)\w*", r"\bvereinbar\w*", r"\bauszeit\w*|\bsabbatical\b",
               r"\berreichbar\w*", r"\bmehrarbeit\b", r"\bfreie tage\b|\bbrückentage?\b"],
    },
    "career_growth": {
        "en": [r"\bpromot\w*", r"\bmove (?:up|ahead|forward)\b|\bmoving up\b", r"\bcareer\w*", r"\bgrow(?:th)?\b",
               r"\badvance\w*", r"\bupward\w*", r"\bladder\b", r"\bexit opp\w*", r"\bopportunit\w*",
               r"\bprogress(?:ion)?\b", r"\bstagnat\w*", r"\bdead[- ]?end\b", r"\bglass ceiling\b", r"\bmobility\b",
               r"\binternal (?:moves?|transfers?|positions|roles|candidates|hires?|jobs)\b", r"\bnext (?:level|step)\b",
               r"\broom to grow\b", r"\bpromo\b", r"\bnot (?:a )?lot of room\b", r"\bclimb\w*"],
        "de": [r"\bkarriere\w*", r"\baufstieg\w*|\baufsteig\w*", r"\bbeförder\w*", r"\bentwicklungs\w*",
               r"\bperspektive\w*", r"\blaufbahn\w*", r"\bweiterentwickl\w*|\bweiter ?zu ?entwickeln\b",
               r"\bchancen\b", r"\bsackgasse\b", r"\binterne (?:stellen|wechsel|bewerbung)\w*", r"\bstellenwechsel\b",
               r"\baufstiegschancen\b", r"\bnächsten schritt\b|\bnächste stufe\b", r"\bposition\w*",
               r"\bjobwechsel\w*"],
    },
    "learning_development": {
        "en": [r"\blearn\w*", r"\btrain(?:ing|ings|ed|ee|ees)?\b", r"\bmentor\w*", r"\bcoach\w*", r"\bonboard\w*",
               r"\bcourses?\b", r"\bcertif\w*", r"\bworkshops?\b", r"\bconferences?\b", r"\bskills?\b", r"\bupskill\w*",
               r"\bknowledge\w*", r"\beducat\w*", r"\bexposure\b", r"\bexperience\b", r"\bdevelop(?:ment|ing)?\b",
               r"\bboot ?camp\b", r"\bteach\w*", r"\bgrad(?:uate)? (?:program|scheme)\w*", r"\binternship\b",
               r"\bintern(?:s)?\b", r"\btuition\b", r"\bself[- ]development\b", r"\bpersonal development\b"],
        "de": [r"\bweiterbild\w*", r"\bfortbild\w*", r"\bschulung\w*", r"\bseminar\w*", r"\blern\w*", r"\bmentor\w*",
               r"\bcoaching\w*", r"\beinarbeit\w*", r"\bonboarding\b", r"\bzertifi\w*", r"\bkurse?\b|\bkursen\b",
               r"\bworkshops?\b", r"\bkonferenz\w*", r"\bknow[- ]?how\b", r"\bfachwissen\b", r"\bausbild\w*",
               r"\btrainings?\b", r"\blinkedin learning\b|\budemy\b", r"\bqualifizier\w*",
               r"\bentwicklungsmöglichkeit\w*", r"\bstudium\w*|\bstudiengang\w*", r"\bsprachkurs\w*"],
    },
    "management": {
        "en": [r"\bmanag(?:er|ers|ement|ing)\b", r"\bmicro[- ]?manag\w*", r"\bboss\w*", r"\bsupervis\w*",
               r"\bleader\w*",
               r"\bexecutives?\b|\bexecs?\b", r"\bceo\b|\bcfo\b|\bcoo\b|\bcto\b|\bvps?\b|\bsvps?\b|\bmds?\b",
               r"\bdirectors?\b", r"\bfavou?rit\w*|\bnepotis\w*|\bcron(?:y|ies)\w*", r"\bhigher[- ]?ups?\b",
               r"\bupper (?:level|mgmt)\b|\bmgmt\b", r"\bsenior (?:staff|people|partners|leaders?)\b",
               r"\bpartners\b", r"\bcorporate\b", r"\bhead office\b", r"\bdecision[- ]?mak\w*",
               r"\bchiefs\b", r"\bteam leads?\b|\bline managers?\b|\bsuperiors?\b", r"\bhr\b"],
        "de": [r"\bvorgesetzte\w*", r"\bchef(?:in|s|etage)?\b", r"\bführung\w*", r"\w*leitung\b|\w*leitungen\b",
               r"\w*leiter(?:in|innen)?\b", r"\bmanagement\w*|\bmanager\w*", r"\bgeschäftsführ\w*", r"\bvorstand\w*",
               r"\bmikromanag\w*|\bmicromanag\w*", r"\bvetternwirtschaft\b|\bklüngel\w*",
               r"\bobere ebene\w*|\boberen ebenen\b", r"\bentscheid\w*"],
    },
    "culture": {
        "en": [r"\bcultur\w*", r"\bvalues?\b", r"\batmosphere\b", r"\benvironment\b", r"\btoxic\w*", r"\bpolitic\w*",
               r"\bbureaucra\w*|\bred tape\b", r"\bhierarch\w*", r"\bvibes?\b", r"\bmorale\b", r"\brespect\w*",
               r"\bfamily[- ](?:feel|like|oriented)\b|\blike (?:a )?family\b", r"\bfun\b", r"\bold[- ]fashioned\b",
               r"\bcorporate (?:culture|america|environment)\b", r"\bclimate\b", r"\bcares?\b",
               r"\bsocial events?\b|\bparties\b|\bparty\b|\bevents\b", r"\bslow[- ]moving\b|\bslow to\b",
               r"\bblame\b|\bfear\b", r"\bbureaucratic\b", r"\bappreciat\w*|\bvalued\b", r"\bmission\b|\bpurpose\w*",
               r"\bclique\w*|\bcliqu\w*", r"\binclusive\b", r"\bethic\w*", r"\bstartup\b|\bstart-up\b", r"\bdrones\b"],
        "de": [r"\w*kultur\w*", r"\w*atmosphäre\w*", r"\w*klima\b", r"\bwerte\b|\bwerten\b", r"\bhierarch\w*",
               r"\bbürokrat\w*", r"\bpolitik\w*|\bpolitisch\w*", r"\btoxisch\w*", r"\bstimmung\w*", r"\bumgangston\b",
               r"\brespekt\w*", r"\bduz\w*|\bdu-kultur\b|\bwir duzen\b", r"\bfamiliär\w*", r"\bmiteinander\b",
               r"\bangenehm\w*", r"\bfreundlich\w*", r"\bwohlfühl\w*|\bwohl fühl\w*", r"\bdruck\b",
               r"\bangst\b", r"\bspaß\b", r"\bstarr\w*", r"\bträge\b|\bbehäbig\w*", r"\bneid\b|\bmobbing\b"],
    },
    "colleagues": {
        "en": [r"\bco[- ]?workers?\b", r"\bcolleagues?\b", r"\bteam(?:s|mates?| members?| spirit|work)?\b",
               r"\bpeers?\b",
               r"\bpeople\b", r"\bstaff\b", r"\bcamaraderie\b", r"\bcollaborat\w*", r"\bhelpful\b", r"\bsupportive\b",
               r"\bfriends\b", r"\bsmart\b|\bbright\b|\btalented\b|\bintelligent\b|\bbrilliant\b", r"\bfolks\b",
               r"\bcrew\b", r"\bgossip\w*", r"\bwork(?:ing)? with\b", r"\bbackstab\w*", r"\bcliqu\w*",
               r"\bcoworkers\b", r"\bagents\b|\bwriters\b|\btraders are\b"],
        "de": [r"\bkolleg\w*", r"\bteam(?!leit)\w*", r"\bzusammenhalt\w*", r"\bzusammenarbeit\w*", r"\bhilfsbereit\w*",
               r"\bmiteinander\b", r"\bunterstütz\w*", r"\bgemeinschaft\w*", r"\beinzelkämpfer\w*", r"\bläster\w*",
               r"\bkollegial\w*"],
    },
    "working_conditions": {
        "en": [r"\boffices?\b", r"\bworkplace\b", r"\bequipment\b", r"\btools?\b",
               r"\blaptops?\b|\bcomputers?\b|\bpcs?\b",
               r"\bsoftware\b|\bsystems?\b|\blegacy\b|\btech(?:nology)? stack\b|\btechnology\b|\binfrastructure\b",
               r"\bwork ?load\b", r"\bunder[- ]?staff\w*|\bshort[- ]staff\w*|\bstaffing\b", r"\bover[- ]?work\w*",
               r"\bremote\w*|\bwfh\b|\bwork(?:ing)? from home\b|\bhybrid\b|\bin[- ]person\b|\bin[- ]office\b|\brto\b",
               r"\bcommut\w*", r"\bparking\b", r"\bdesks?\b|\bcubicles?\b|\bopen[- ]plan\b|\bhot[- ]?desk\w*",
               r"\bfacilit\w*", r"\bsafety\b|\bsafe\b|\bdanger\w*|\binjur\w*", r"\bnois\w*|\bloud\b",
               r"\bair con\w*|\bheat\b",
               r"\blocation\b|\bcampus\b|\bbuilding\b|\bhq\b|\bheadquarters\b", r"\bdeadlines?\b", r"\bpressure\b",
               r"\bresources\b", r"\bchairs?\b|\bbreak ?room\b|\bbreaks\b", r"\bpace\b|\bhectic\b", r"\bweather\b",
               r"\btoo much work\b|\bamount of work\b|\bworkload\b"],
        "de": [r"\bbüro\w*", r"\barbeitsplatz\w*", r"\bausstattung\w*|\bausgestattet\b", r"\barbeitsmittel\w*",
               r"\btechnik\w*|\bhardware\b|\bsoftware\b|\bit-\w*|\btools?\b",
               r"\blaptop\w*|\bnotebook\w*|\brechner\w*|\bmonitor\w*",
               r"\barbeitsbelastung\w*|\barbeitspensum\w*|\bauslastung\w*|\barbeitslast\b",
               r"\bunterbesetz\w*|\bpersonalmangel\b|\bpersonalnot\b",
               r"\bhome ?office\w*|\bmobile[sn]? arbeit\w*|\bremote\b",
               r"\bgroßraum\w*|\bopen ?space\b|\bdesk ?sharing\b",
               r"\bparkpl\w*|\banfahrt\w*|\bstandort\w*|\bpendel\w*",
               r"\bklimaanlage\w*|\bklimatisier\w*|\blärm\w*|\blaut\b|\bhitze\b|\bwärme\b", r"\barbeitsbedingung\w*",
               r"\barbeitssicherheit\b|\bergonom\w*|\bschreibtisch\w*|\bgebäude\w*|\bräum\w*|\bausstattung\b",
               r"\bprozesse?\b|\bsysteme?\b", r"\bzeitdruck\b|\bdeadlines?\b"],
    },
    "job_security": {
        "en": [r"\blay ?offs?\b|\blaid ?off\b|\blay-?offs?\b|\blaying off\b",
               r"\bjob security\b|\bjob insecurity\b|\bsecure\b|\binsecur\w*",
               r"\bstab(?:le|ility)\b|\bunstable\b", r"\brestructur\w*|\breorg\w*", r"\bredundan\w*",
               r"\bfired\b|\bfiring\b|\bfire you\b",
               r"\bcontract(?:s|or|ors|ual)?\b", r"\btemp(?:orary)?\b",
               r"\bdownsiz\w*|\bcut ?backs?\b|\bjob cuts\b|\bheadcount\b",
               r"\boutsourc\w*|\boffshor\w*", r"\bterminat\w*", r"\blet go\b", r"\brifs?\b",
               r"\bbought out\b|\bacqui\w*|\bmerger\b",
               r"\bclose down\b|\bclosing\b|\bshut down\b", r"\breplaceable\b|\bexpendable\b|\bdisposable\b",
               r"\bpip\b|\bperformance improvement plan\b", r"\blast day\b", r"\bcuts\b", r"\bpermanent\b"],
        "de": [r"\bjobsicherheit\b|\barbeitsplatzsicherheit\b|\bsicher(?:er|en|heit)?\b",
               r"\bstellenabbau\b|\bpersonalabbau\b|\babbau\w*",
               r"\bkündig\w*|\bgekündigt\b", r"\bentlass\w*", r"\bbefrist\w*|\bunbefristet\w*",
               r"\bfestanstell\w*|\bübernahme\w*|\bübernommen\b",
               r"\bleiharbeit\w*|\bzeitarbeit\w*|\bleasing\w*",
               r"\bumstrukturier\w*|\brestrukturier\w*|\breorganisation\w*",
               r"\bkurzarbeit\w*", r"\bsparprogramm\w*|\bsparmaßnahme\w*|\bsparkurs\b", r"\babfindung\w*",
               r"\bkrisensicher\w*|\bstabil\w*",
               r"\bzukunftssicher\w*|\bzukunft\b", r"\bverlagerung\w*|\boutsourc\w*",
               r"\bwerksschließung\w*|\bschließung\w*"],
    },
    "diversity_inclusion": {
        "en": [r"\bdivers(?:e|ity)\b", r"\binclus\w*", r"\bdiscriminat\w*", r"\bracis\w*|\bracial\b|\brace\b",
               r"\bsexis\w*|\bsexual\w*",
               r"\bharass\w*", r"\bwom[ae]n\b|\bfemales?\b|\bgender\w*|\bmale\b",
               r"\bequal(?:ity| opportunit\w*| pay)\b",
               r"\bminorit\w*", r"\blgbt\w*|\bqueer\b|\bgay\b",
               r"\bage(?:ism|ist)?\b|\bolder (?:workers|employees|people)\b",
               r"\bdisab\w*", r"\bdei\b|\bd&i\b|\bedi\b", r"\bboys'? club\b",
               r"\bperson of colou?r\b|\bpeople of colou?r\b|\bpoc\b",
               r"\bnot (?:indian|white|male|french)\b|\bnon[- ]\w+ speakers\b|\bnationalit\w*|\bethnic\w*",
               r"\bmothers?\b|\bpregnan\w*", r"\breligio\w*"],
        "de": [r"\bdiversit\w*|\bdiversity\b", r"\bvielfalt\w*", r"\binklusi\w*", r"\bdiskrimin\w*",
               r"\bgleichberechtig\w*",
               r"\bgleichbehandl\w*|\bgleich behandelt\b", r"\bchancengleich\w*", r"\bfrauen\w*|\bfrau\b",
               r"\bgeschlecht\w*|\bgender\w*",
               r"\bälter\w*|\balter\b|\balters\w*", r"\brassis\w*|\bherkunft\b|\bnationalit\w*",
               r"\bsexis\w*|\bbelästig\w*",
               r"\bbehinder\w*|\bschwerbehindert\w*", r"\blgbt\w*|\bqueer\b", r"\bmännerdomäne\b|\bmänner\w*",
               r"\bgleichstell\w*",
               r"\bjung und alt\b|\bjüngere?n?\b|\bgenerationen\w*", r"\bmütter\b|\beltern\b|\bschwanger\w*",
               r"\bruhestand\b|\brente\b|\bvorruhestand\b|\baltersteilzeit\b|\bü ?50\b|\büber 50\b"],
    },
    "communication": {
        "en": [r"\bcommunicat\w*", r"\btranspar\w*", r"\binform(?:ed|ation)\b", r"\bin the dark\b|\bin the loop\b",
               r"\bmeetings?\b", r"\bfeedback\b", r"\btown ?halls?\b|\ball[- ]hands\b", r"\bupdates?\b|\bannounce\w*",
               r"\bopen[- ]door\b", r"\bsilo\w*", r"\be-?mails?\b", r"\bvisibility\b", r"\blisten\w*",
               r"\bdisconnect\w*",
               r"\bexplanation\b|\bexplain\w*", r"\bclarity\b|\bunclear\b|\bmixed messages\b", r"\bvoice\b|\bheard\b",
               r"\binteraction\w*", r"\bguidance\b|\bexpectations\b", r"\bsecre\w*|\bhidden\b",
               r"\bgrapevine\b|\brumou?rs?\b"],
        "de": [r"\bkommuni\w*", r"\btranspar\w*|\bintranspar\w*", r"\binformation\w*|\binformiert\w*|\binfos?\b",
               r"\bmeetings?\b|\bbesprechung\w*|\bregeltermin\w*|\bjour fixe\b", r"\bfeedback\w*|\brückmeldung\w*",
               r"\baustausch\w*", r"\babstimm\w*|\babsprache\w*", r"\bintranet\b|\be-?mails?\b|\bmails?\b",
               r"\bmitarbeiterversammlung\w*|\bbetriebsversammlung\w*|\btownhall\w*", r"\boffenheit\b",
               r"\bflurfunk\b|\bgerücht\w*", r"\bsilo\w*", r"\bschnittstelle\w*"],
    },
}

# Units with nothing to say about any dimension: empty answers, generic verdicts, job titles.
NO_DIMENSION_PATTERNS: dict[str, list[str]] = {
    "en": [r"^(?:none|nothing|n/?a|na|nil|no|no cons?|no pros|not? (?:really|much)|nothing (?:really|much|"
           r"comes to mind|to (?:say|report|complain about))"
           r"|none (?:that i can think of|so far|at (?:the moment|all|this time))|no complaints?|"
           r"i don'?t have any complaints"
           r"|can'?t think of any(?:thing)?|not that i know of|show more|#name\?)[ .!]*$",
           r"^(?:it (?:was|is|'s) )?(?:a |an )?(?:very |really |truly |pretty |overall )?(?:great|good|nice|"
           r"amazing|awesome|excellent|decent|fine|ok|okay|"
           r"best|fantastic|wonderful|cool|solid|terrible|awful|horrible|bad|worst|average)"
           r"(?: (?:company|employer|firm|bank|place|job|experience|organi[sz]ation|work|one))?"
           r"(?: (?:to work(?: for| at| in)?|to be|overall|so far))?[ .!]*$"],
    "de": [r"^(?:nichts|keine?|keine angabe|nix|-+|k\. ?a\.?|nichts (?:zu (?:bemängeln|beanstanden|meckern))|"
           r"alles (?:gut|super|top|okay|ok))[ .!]*$",
           r"^(?:sehr |ganz |eher )?(?:gut|super|top|ok|okay|schlecht|mittelmäßig|durchschnittlich|passt|toll|prima|"
           r"ausbaufähig|ausreichend|befriedigend|naja|geht so|in ordnung|hervorragend|vorbildlich)[ .!]*$"],
}

# -- polarity ---------------------------------------------------------------------------------
NEGATORS: dict[str, str] = {
    "en": r"not|no|never|n't|without|hardly|barely|lack(?:s|ing)? of|lack|nothing|zero|little|neither|nor|"
          r"cannot|don'?t|doesn'?t|isn'?t|wasn'?t|aren'?t",
    "de": r"nicht|kein|keine|keinen|keinem|keiner|nie|niemals|ohne|kaum|wenig|mangel an|mangelnde",
}

POSITIVE_WORDS: dict[str, list[str]] = {
    "en": ["good", "great", "excellent", "amazing", "awesome", "nice", "fantastic", "wonderful", "best", "love",
           "loved", "enjoy", "enjoyed", "fun", "friendly", "helpful", "supportive", "competitive", "generous",
           "decent", "fair", "flexible", "happy", "positive", "smart", "talented", "strong", "stable", "solid",
           "rewarding", "impressive", "brilliant", "caring", "kind", "outstanding", "superb", "collaborative",
           "respectful", "transparent", "valued", "benefit", "opportunity", "opportunities", "growth", "free",
           "perks", "pleasant", "comfortable", "easy", "cool", "exciting", "interesting", "incredible",
           "welcoming", "inclusive", "appreciated", "empowered", "reasonable", "secure",
           "plus", "recommend", "liked", "perfect", "top", "quality",
           "dynamic", "innovative", "efficient", "clear", "freedom", "autonomy",
           "intelligent", "knowledgeable", "passionate", "motivated", "motivating", "inspiring",
           "engaging", "lovely", "relaxed", "chill", "laid-back", "ample", "strong"],
    "de": ["gut", "gute", "guter", "gutes", "guten", "super", "toll", "tolle", "toller", "tollen", "sehr gut",
           "hervorragend", "ausgezeichnet", "angenehm", "angenehme", "freundlich", "freundliche", "hilfsbereit",
           "hilfsbereite", "fair", "faire", "flexibel", "flexible", "flexiblen", "positiv", "positive", "stark",
           "starke", "sicher", "sichere", "stabil", "spannend", "spannende", "interessant", "interessante",
           "top", "klasse", "prima", "vorbildlich", "großzügig", "wertschätzend", "offen", "offene", "familiär",
           "kollegial", "kompetent", "kompetente", "motiviert", "motivierte", "transparent", "zufrieden",
           "vielfältig", "modern", "moderne", "möglich", "möglichkeiten", "überdurchschnittlich", "attraktiv",
           "attraktive", "angemessen", "angemessene", "ordentlich", "hoch", "hohe", "hohes", "schön", "schöne",
           "respektvoll", "unterstützend", "loyal", "spaß", "lob", "gelobt", "wohl", "passt", "klappt"],
}

NEGATIVE_WORDS: dict[str, list[str]] = {
    "en": ["bad", "poor", "terrible", "awful", "horrible", "worst", "toxic", "low", "lack", "lacking",
           "lacks", "limited", "long", "slow", "stressful", "stress", "hard", "difficult", "boring", "monotonous",
           "underpaid", "overworked", "unfair", "unclear", "disorganized", "disorganised", "chaotic", "rude",
           "incompetent", "inexperienced", "arrogant", "micromanage", "micromanagement", "micromanaging",
           "favoritism", "favouritism", "nepotism", "politics", "political", "bureaucracy", "bureaucratic",
           "layoffs", "layoff", "laid", "burnout", "burn", "overtime", "pressure", "unstable", "insecure",
           "inconsistent", "mediocre", "average", "stagnant", "stagnation", "outdated", "antiquated", "old",
           "legacy", "lousy", "appalling", "minimal", "minimum", "little", "few", "less", "lower", "worse",
           "too", "unprofessional", "disconnect", "hectic", "noisy", "cuts", "turnover", "leaving", "left",
           "fire", "fired", "abusing", "abuse", "harassment", "discrimination", "racist", "sexist", "unbearable",
           "depressing", "frustrating", "frustrated", "horror", "nothing", "never", "suffer", "suffering",
           "struggling", "draining", "exhausting", "tiring", "demanding", "difficult", "strict", "rigid",
           "inefficient", "dysfunctional", "disfunctional", "lost", "worthless", "unpaid", "mandatory",
           "sadly", "unfortunately", "problem", "problems", "issue", "issues", "complain", "complaints",
           "cons", "rarely", "unless", "however", "shouted", "dump", "terrible", "inept", "useless"],
    "de": ["schlecht", "schlechte", "schlechter", "schlechten", "mangelhaft", "miserabel", "katastrophal",
           "katastrophe", "unfreundlich", "toxisch", "niedrig", "niedrige", "gering", "geringe", "wenig",
           "mangel", "mangelnde", "fehlt", "fehlen", "fehlende", "langsam", "stressig", "stress", "druck",
           "schwierig", "langweilig", "eintönig", "unterbezahlt", "unfair", "unklar", "chaotisch", "chaos",
           "überlastet", "überlastung", "überstunden", "intransparent", "inkompetent", "arrogant", "willkür",
           "vetternwirtschaft", "mobbing", "lästern", "abbau", "stellenabbau", "kündigung", "kündigungen",
           "entlassungen", "befristet", "unsicher", "unsicherheit", "veraltet", "veraltete", "alt", "starr",
           "träge", "bürokratie", "bürokratisch", "politik", "leider", "problem", "probleme", "kritik",
           "ausbaufähig", "verbesserungswürdig", "unterdurchschnittlich", "nie", "keine", "kaum", "frust",
           "frustrierend", "enttäuschend", "enttäuscht", "negativ", "negative", "zu viel", "zu viele",
           "zu wenig", "zu hoch", "hierarchie", "hierarchisch", "lahm", "nervig", "lästig", "fragwürdig",
           "desaströs", "unzureichend", "unzufrieden", "schade", "kompliziert", "umständlich"],
}

# Phrasings of complaint and praise that single words miss.
COMPLAINT_PATTERNS: dict[str, list[str]] = {
    "en": [r"\b(?:too (?:much|many|few|little|long|slow|high|low))\b",
           r"\bnot (?:enough|much|many|great|good|the best|very)\b",
           r"\black of\b", r"\bcould (?:be|use) (?:better|improve\w*|more)\b", r"\bneeds? (?:to )?(?:be )?improv\w*\b",
           r"\bno (?:\w+ )?(?:growth|raises?|bonus\w*|training|support|work[- ]life|room|communication|"
           r"transparency|direction|career|clear)\b",
           r"\bhard to\b|\bdifficult to\b|\bunable to\b", r"\bdoesn'?t care\b|\bdon'?t care\b",
           r"\bbelow (?:market|average|industry)\b",
           r"\bunderpaid\b|\bunder[- ]staffed\b|\bover[- ]worked\b"],
    "de": [r"\bzu (?:viel|viele|wenig|wenige|hoch|niedrig|langsam|lang)\b",
           r"\bnicht (?:genug|so|gut|sehr|immer|wirklich|vorhanden)\b",
           r"\bverbesserungs\w*|\bausbaufähig\w*", r"\bkönnte (?:besser|mehr)\b|\bsollte (?:besser|mehr)\b",
           r"\bes fehlt\b|\bfehlt\b|\bfehlen\b|\bmangel\w*", r"\bkaum\b|\bleider\b"],
}
PRAISE_PATTERNS: dict[str, list[str]] = {
    "en": [r"\b(?:very|really|super|extremely|pretty|quite|so) (?:good|great|nice|helpful|friendly|supportive|"
           r"flexible|competitive)\b",
           r"\b(?:great|good|nice|excellent|amazing|awesome|decent|competitive|fantastic|"
           r"friendly) (?:\w+ )?(?:pay|salary|benefits|people|team|culture|"
           r"management|work[- ]life|balance|colleagues|coworkers|environment|place|company|perks|hours|manager|"
           r"leadership|training|learning)\b",
           r"\blove (?:the|my|working)\b|\benjoy\w* (?:the|my|working)\b",
           r"\bwell paid\b|\bpaid well\b|\bpays well\b"],
    "de": [r"\b(?:sehr|echt|richtig|super|total|wirklich) (?:gut|gute|guter|gutes|angenehm\w*|nett\w*|"
           r"hilfsbereit\w*|freundlich\w*|flexibel\w*|fair\w*)\b",
           r"\b(?:gute|guter|gutes|tolle|toller|tolles|super|faire|flexible|angenehme|nette|hilfsbereite) \w+",
           r"\bmacht spaß\b|\bmacht freude\b|\bgerne\b|\bzufrieden\b"],
}
