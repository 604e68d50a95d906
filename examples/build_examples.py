"""Build (and check) the bundled example data of rationalerm.

Everything in ``examples/`` was written by hand for this project: the conversations, the two responses of each pair,
the human atomic checklists, the three judged models and the MetaJudge evaluator answers. Nothing is copied from
HelpSteer3, RationaleRM or any other dataset. The content lives in the Python structures below so that the two
files stay consistent with each other; run

    python examples/build_examples.py          # write both files, then check them
    python examples/build_examples.py --check  # only check the files on disk

The three judged models are fictional:

* ``judge-grounded`` names the same concrete problems as the human annotators (high rationale consistency),
* ``judge-surface`` is right about as often but for surface reasons: length, formatting, tone (near 0),
* ``judge-mixed`` is in between: some specific matching reasons, some generic ones.

Each model entry is ``(verdict, reasons, metajudge)``, where ``metajudge`` is our graded matching of every human item
(in order) to the model's reasons: ``(j, score)`` means human item i is best covered by model item Sj with that score
on the 0 / 0.25 / 0.5 / 0.75 / 1.0 scale, ``(0, 0)`` means no model item covers it. An optional fourth element is a
note the evaluator adds to its reasoning.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASET = HERE / "helpsteer3_atomic_demo.jsonl"
METAJUDGE = HERE / "metajudge_output_demo.jsonl"
MODELS = ("judge-grounded", "judge-surface", "judge-mixed")
DOMAINS = ("general", "code", "stem", "multilingual")
CAP = 5  # model reasons considered at evaluation time


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


ROWS: list[dict] = []


def add(domain, number, *, label, pref, context, r1, r2, human, grounded, surface, mixed):
    ROWS.append(
        {
            "id": f"demo-{domain}-{number:03d}",
            "domain": domain,
            "context": context,
            "response1": r1.strip("\n"),
            "response2": r2.strip("\n"),
            "label": label,
            "overall_preference": pref,
            "human": human,
            "models": {"judge-grounded": grounded, "judge-surface": surface, "judge-mixed": mixed},
        }
    )


# fmt: off
# ======================================================================================================== general

add(
    "general", 1, label=2, pref=2,
    context=[user("In a short paragraph: what ended the Thirty Years' War, and why does it still matter?")],
    r1="""
The Thirty Years' War ended with the Peace of Westphalia, signed in 1658 in the cities of Münster and Osnabrück. The treaties ended decades of religious conflict in the Holy Roman Empire between Protestant and Catholic states. They are credited with creating the modern idea of state sovereignty, since each ruler could now decide the religion of his own territory, a principle first introduced at Westphalia. The settlement also recognised the independence of the Dutch Republic and Switzerland. Historians see it as the birth of the modern international system, and it remains the foundation of international law today.
""",
    r2="""
The war ended with the Peace of Westphalia (1648), a pair of treaties negotiated at Münster and Osnabrück. The settlement confirmed the 1555 Peace of Augsburg and extended its religious toleration to Calvinists, recognised the independence of the Dutch Republic and the Swiss Confederation, and gave France and Sweden territory in the Empire. It still matters because it is often cited as the origin of the "Westphalian" system of sovereign states that do not interfere in each other's internal affairs. Many historians now treat that reading as partly a later myth: the Holy Roman Empire survived for another 150 years, and the treaties did not invent sovereignty out of nothing. Even so, the idea named after them shapes how diplomats talk about borders today.
""",
    human=[
        "Response 1 dates the Peace of Westphalia to 1658; the treaties were signed in 1648.",
        "Response 1 says the principle that each ruler decides the religion of his territory was first introduced at Westphalia; it comes from the Peace of Augsburg of 1555.",
        "Response 1 presents the 'birth of the modern international system' view as settled fact, while Response 2 correctly notes that historians dispute it.",
        "Response 1 leaves out the extension of religious toleration to Calvinists, the main religious change of the settlement.",
        "Response 1 ends by calling the treaties 'the foundation of international law today', an overstatement it does not support.",
    ],
    grounded=("B>>A", [
        "Response A gives the wrong year: the Peace of Westphalia was signed in 1648, not 1658.",
        "Response A credits Westphalia with introducing 'cuius regio, eius religio', which dates from the 1555 Peace of Augsburg.",
        "Response B correctly notes that the treaties extended the Augsburg settlement to Calvinists; Response A omits this.",
        "Response A states the 'birth of the modern international system' story as fact, whereas Response B flags that historians consider it partly a myth.",
    ], [(1, 1), (2, 1), (4, 1), (3, 1), (0, 0)]),
    surface=("B>A", [
        "Response B is more detailed and nuanced.",
        "Response B reads like a historian's answer, with a more scholarly tone.",
        "Response A is shorter and simpler but less complete.",
        "Response B is more accurate overall.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A dates the treaty to 1658.",
        "Response B is better organised and more nuanced.",
        "Response B covers more outcomes of the treaty, such as French and Swedish territorial gains.",
        "Response A's closing claims are overstated.",
    ], [(1, 0.75), (0, 0), (0, 0), (0, 0), (4, 0.5)],
        "S1 names the wrong year but not the correct one (1648); S4 calls the closing claims overstated without saying which."),
)

add(
    "general", 2, label=1, pref=-2,
    context=[user("Write a short, polite email to my landlord saying the heating in my flat hasn't worked since Monday and asking when it can be fixed. Keep it under 100 words.")],
    r1="""
Subject: Heating not working in Flat 4B

Dear Mr Patel,

I hope you are well. I'm writing to let you know that the heating in my flat has not been working since Monday. The radiators stay cold even with the thermostat turned up, and the flat is getting very cold at night.

Could you let me know when someone will be able to come and repair it? I'm happy to arrange access at a time that suits the engineer.

Thank you for your help.

Kind regards,
Anna Kowalski
""",
    r2="""
**Subject: Urgent – Heating Failure**

**Introduction**
Dear [Landlord's Name],

I am writing to formally notify you that the heating system in my flat has been completely out of order since Monday.

**Details of the Issue**
- The radiators do not heat up at all.
- The boiler display shows an error code.
- Temperatures inside have dropped significantly.

**Request**
As landlords are legally required to carry out heating repairs within 24 hours, I would appreciate it if you could confirm a repair date as soon as possible. Please note that I may need to seek alternative accommodation at your expense if the issue is not resolved promptly.

**Closing**
Thank you for your prompt attention to this matter. I look forward to your response.

Yours faithfully,
[Your Name]
""",
    human=[
        "Response 2 runs to about 125 words, breaking the user's limit of 100 words.",
        "Response 2 states that landlords are legally required to repair heating within 24 hours; there is no such general rule (the usual duty is a repair within a reasonable time), so the user would be sending a false legal claim.",
        "Response 2 threatens to seek alternative accommodation at the landlord's expense, which is not the polite tone the user asked for.",
        "Response 2 invents a detail the user never mentioned: a boiler display showing an error code.",
        "Response 2 puts section headings ('Introduction', 'Closing') inside the email body, which would look odd in a real email.",
        "Response 1 fills in a landlord's name, a flat number and a sender name the user never gave, instead of leaving placeholders.",
        "Response 2 closes with 'Yours faithfully' after 'Dear [Landlord's Name]'; with a named recipient the convention is 'Yours sincerely'.",
    ],
    grounded=("A>>B", [
        "Response B exceeds the 100-word limit (about 125 words); Response A stays under it.",
        "Response B asserts a 24-hour legal deadline for heating repairs that is not a real general rule, which could mislead the user.",
        "Response B's threat about alternative accommodation at the landlord's expense is not polite.",
        "Response B invents a boiler error code the user never mentioned.",
        "Response A's invented names ('Mr Patel', 'Flat 4B', 'Anna Kowalski') should have been placeholders, a minor issue.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1), (0, 0), (5, 1), (0, 0)]),
    surface=("B>A", [
        "Response B is well structured, with clear bold section headings.",
        "Response B is more thorough: it covers the details, the request and a closing.",
        "Response B sounds more professional and formal.",
        "Response A is plain and less organised.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S1 praises the headings that R5 criticises, so it contradicts R5 rather than covering it."),
    mixed=("A>B", [
        "Response A is concise and polite, which matches the request.",
        "Response B is too long for what the user asked.",
        "Response B's tone is more aggressive than necessary.",
        "Response B includes a legal claim that may not be accurate.",
    ], [(2, 0.5), (4, 0.5), (3, 0.75), (0, 0), (0, 0), (0, 0), (0, 0)]),
)

add(
    "general", 3, label=1, pref=-3,
    context=[user("What's the difference between 'affect' and 'effect'? Give me an example of each.")],
    r1="""
"Affect" is usually a verb meaning to influence something: "The cold weather affected the harvest." "Effect" is usually a noun meaning the result of a change: "The new law had an immediate effect on prices."

A quick way to remember it: **A**ffect is an **A**ction, **E**ffect is the **E**nd result.

There are two less common uses worth knowing. "Effect" can be a verb meaning to bring something about, as in "The new manager effected several changes" (she made them happen). And "affect" is a noun in psychology meaning a person's visible emotional expression, as in "The patient showed a flat affect."
""",
    r2="""
Great question! 😊 These two words are super easy to mix up.

- **Affect** is a noun that means the result of something. Example: "The medicine had a strong affect on me."
- **Effect** is a verb that means to change or influence something. Example: "The new policy will effect everyone in the company."

Tip: remember that "effect" starts with "e" like "everyone", because it affects everyone! Once you get the hang of it, you'll never confuse them again. Hope this helps! 🎉
""",
    human=[
        "Response 2 swaps the two words: it calls 'affect' the noun for a result and 'effect' the verb for influencing, the reverse of standard usage.",
        "Response 2's examples are both wrong: 'a strong affect on me' should be 'effect', and 'will effect everyone' should be 'affect'.",
        "Response 2's memory tip ('effect' like 'everyone' because it affects everyone) is confusing and reinforces the wrong rule.",
        "Response 2 pads the answer with emojis and filler ('Great question!', 'Hope this helps!').",
    ],
    grounded=("A>>B", [
        "Response B reverses the meanings, calling 'affect' a noun for a result and 'effect' a verb meaning to influence.",
        "Both of Response B's example sentences use the wrong word ('a strong affect', 'will effect everyone').",
        "Response A correctly adds the rarer uses: 'effect' as a verb meaning 'bring about' and 'affect' as a noun in psychology.",
        "Response B's mnemonic is muddled and supports its wrong rule.",
    ], [(1, 1), (2, 1), (4, 1), (0, 0)]),
    surface=("A>B", [
        "Response A is more detailed and covers more cases.",
        "Response A keeps a professional tone, while Response B uses emojis.",
        "Response A includes a helpful memory trick.",
        "Response B's bullets are easy to scan but it is less thorough.",
    ], [(0, 0), (0, 0), (0, 0), (2, 0.5)]),
    mixed=("A>B", [
        "Response B gets the definitions the wrong way round.",
        "Response A is clearer and better explained.",
        "Response A gives more examples.",
        "Response B's tone is too casual for a grammar explanation.",
    ], [(1, 0.75), (0, 0), (0, 0), (4, 0.5)]),
)

add(
    "general", 4, label=1, pref=-2,
    context=[user("Summarise the plot of Pride and Prejudice in exactly five sentences.")],
    r1="""
Elizabeth Bennet, the sharp-witted second of five daughters, meets the wealthy Mr Darcy at a ball and takes an instant dislike to his pride. Her prejudice deepens when the charming officer Wickham tells her that Darcy cheated him of an inheritance, and when she learns that Darcy persuaded his friend Bingley to abandon her sister Jane. Darcy proposes, Elizabeth refuses him angrily, and his letter afterwards reveals Wickham's lies and explains his own motives. When Wickham elopes with Elizabeth's youngest sister Lydia, Darcy quietly pays to arrange their marriage and save the family's reputation. Recognising how badly she misjudged him, Elizabeth accepts Darcy's second proposal, while Bingley returns to marry Jane.
""",
    r2="""
## Summary of Pride and Prejudice

Pride and Prejudice, written by Charlotte Brontë in 1813, follows Elizabeth Bennet and her four sisters. Elizabeth meets Mr Darcy, who is proud and rude to her at a dance. Mr Bingley, Darcy's friend, falls in love with Lydia Bennet. Wickham tells Elizabeth lies about Darcy. Darcy proposes and Elizabeth turns him down. Later, Darcy helps the family when Lydia runs away with Wickham. In the end Elizabeth realises she was wrong about him, and she marries Darcy.

**Themes:** love, social class, pride, and first impressions.
""",
    human=[
        "Response 2 attributes the novel to Charlotte Brontë; Pride and Prejudice is by Jane Austen.",
        "Response 2 says Bingley falls in love with Lydia; he loves Jane, the eldest sister.",
        "Response 2 uses seven sentences plus a themes list, ignoring the request for exactly five sentences.",
        "Response 2 becomes inconsistent: Lydia is Bingley's love interest and then runs away with Wickham, and Bingley's story is never resolved.",
        "Response 2 leaves out Darcy's letter, the turning point that changes Elizabeth's view of him.",
    ],
    grounded=("A>>B", [
        "Response B names Charlotte Brontë as the author; the novel is by Jane Austen.",
        "Response B pairs Bingley with Lydia instead of Jane.",
        "Response B ignores the five-sentence limit (seven sentences plus a themes list); Response A uses exactly five.",
        "Response A includes Darcy's letter, the turning point that Response B omits.",
    ], [(1, 1), (2, 1), (3, 1), (0, 0), (4, 1)]),
    surface=("A>B", [
        "Response A flows better as a narrative.",
        "Response A goes into more depth on the characters' motives.",
        "Response B's heading and bold themes line make it read like study notes.",
        "Response A is more engaging to read.",
    ], [(0, 0), (0, 0), (3, 0.25), (0, 0), (0, 0)],
        "S3 mentions the themes line only as a matter of style, not as a breach of the five-sentence instruction."),
    mixed=("B>A", [
        "Response B adds a themes section, which gives the reader extra value.",
        "Response B has a clear heading and is easy to scan.",
        "Response A's sentences are long and packed with clauses.",
        "Response B has a factual error about the author.",
    ], [(4, 0.5), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S4 notices an authorship error but does not name the correct author; S1 praises the extra themes section that R3 counts against Response 2."),
)

add(
    "general", 5, label=1, pref=-2,
    context=[
        user("Can you give me a simple pancake recipe?"),
        assistant("Sure! You'll need 1½ cups (190 g) plain flour, 1 tablespoon baking powder, 2 tablespoons sugar, a pinch of salt, 1¼ cups (300 ml) milk, 1 egg and 3 tablespoons (45 g) melted butter. Whisk the dry ingredients, beat in the milk, egg and butter until just combined, then cook ¼-cup portions on a hot greased pan for about 2 minutes per side."),
        user("Great. Can you halve it and give everything in metric? It's just for me."),
    ],
    r1="""
Here's the half batch in metric:

- Plain flour: 95 g
- Baking powder: 1½ teaspoons (about 6 g)
- Sugar: 1 tablespoon (about 12 g)
- Salt: a small pinch
- Milk: 150 ml
- Egg: 1 small egg, or half a beaten large egg (about 25 g)
- Melted butter: 1½ tablespoons (about 22 g)

The method is the same: whisk the dry ingredients, add the milk, egg and butter, and stop mixing as soon as the batter comes together. Use about 60 ml of batter per pancake. This makes 4 to 5 pancakes.
""",
    r2="""
## Half-Batch Pancakes (Metric) 🥞

| Ingredient | Amount |
|---|---|
| Plain flour | 95 g |
| Baking powder | 1 tablespoon |
| Sugar | 25 g |
| Salt | Pinch |
| Milk | 300 ml |
| Egg | 1 |
| Melted butter | 22 g |

### Method
1. Whisk together the flour, baking powder, sugar and salt.
2. In a separate jug, beat the milk, egg and melted butter.
3. Pour the wet ingredients into the dry and mix until just combined. A few lumps are fine!
4. Heat a non-stick pan over medium heat and grease it lightly.
5. Pour in about 60 ml of batter per pancake and cook for 2 minutes per side, until golden.

Enjoy your breakfast! 😊
""",
    human=[
        "Response 2 does not halve the milk: it lists 300 ml, the full-recipe amount, instead of 150 ml.",
        "Response 2 keeps the full tablespoon of baking powder instead of 1½ teaspoons.",
        "Response 2's 25 g of sugar is the full two tablespoons, not half.",
        "Response 2 keeps a whole egg with half the flour, which together with the unhalved milk gives a runny batter; Response 1 suggests a small egg or half a beaten one.",
        "Response 2 repeats the whole method the user already has, making the answer longer without adding anything.",
    ],
    grounded=("A>>B", [
        "Response B lists 300 ml of milk, the full-recipe amount; halved it should be 150 ml, as Response A gives.",
        "Response B keeps 1 tablespoon of baking powder rather than halving it to 1½ teaspoons.",
        "Response B's 25 g of sugar is the original two tablespoons, not half.",
        "Response B keeps a whole egg, which with half the flour and the full amount of milk makes a runny batter; Response A suggests a small egg or half a beaten one.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1), (0, 0)]),
    surface=("B>A", [
        "Response B presents the ingredients in a clean table.",
        "Response B includes a complete step-by-step method.",
        "Response B is friendlier and more engaging.",
        "Response A is a bare list with less guidance.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S2 praises the repeated method that R5 criticises."),
    mixed=("A>B", [
        "Response B forgets to halve the milk, which stays at 300 ml.",
        "Response A is more accurate and practical.",
        "Response A's suggestion of a small egg or half a beaten egg is thoughtful.",
        "Response B is nicely formatted as a table.",
    ], [(1, 1), (0, 0), (0, 0), (3, 0.5), (0, 0)],
        "S3 praises Response 1's egg advice but does not say that Response 2's whole egg makes the batter runny."),
)

add(
    "general", 6, label=2, pref=2,
    context=[user("Write the opening paragraph of a cover letter for a logistics coordinator job at Nordlane Freight. I have 5 years in warehouse operations and I cut picking errors by 30% at my current job.")],
    r1="""
Dear Hiring Manager,

I am writing to express my strong interest in the Logistics Coordinator position at your company. I am a hard-working, detail-oriented team player with a passion for logistics and a proven track record of success. I believe my skills and experience make me an ideal candidate for this role, and I am confident that I would be a valuable asset to your organisation. I thrive in fast-paced environments and am always eager to learn and grow.
""",
    r2="""
Dear Hiring Manager,

I am applying for the Logistics Coordinator role at Nordlane Freight. Over five years in warehouse operations I have learned how small process changes ripple through a supply chain, most recently when I redesigned our pick-path and labelling routine and cut picking errors by 30%. I would like to bring the same hands-on, data-driven approach to coordinating shipments at Nordlane, where accuracy at the dock shapes what every customer experiences.
""",
    human=[
        "Response 1 never names Nordlane Freight, so the paragraph could be sent to any company.",
        "Response 1 leaves out both facts the user gave: five years in warehouse operations and the 30% cut in picking errors.",
        "Response 1 is built from clichés ('team player', 'proven track record', 'valuable asset') with nothing to back them up.",
        "Response 2 invents how the 30% was achieved (a redesigned pick-path and labelling routine), which the user did not say and would need to check.",
    ],
    grounded=("A>B", [
        "Response B invents the method behind the 30% improvement (a redesigned pick-path and labelling routine); in a cover letter an unverified claim like this is a serious risk.",
        "Response A does not mention Nordlane Freight by name.",
        "Response A omits the user's five years of experience and the 30% reduction in picking errors.",
        "Response A relies on clichés such as 'team player' and 'valuable asset'.",
    ], [(2, 1), (3, 1), (4, 1), (1, 1)],
        "The model's reasons match all four human items, even though its verdict goes the other way; the verdict does not affect the matching."),
    surface=("B>A", [
        "Response B is more specific and tailored.",
        "Response B reads more naturally and confidently.",
        "Response A sounds generic.",
        "Response B is more concise.",
    ], [(0, 0), (0, 0), (3, 0.25), (0, 0)]),
    mixed=("B>A", [
        "Response B uses the user's concrete achievement (30% fewer picking errors) and five years of experience.",
        "Response B is more persuasive.",
        "Response A sounds generic and template-like.",
        "Response B has a better flow.",
    ], [(0, 0), (1, 0.75), (3, 0.5), (0, 0)]),
)

add(
    "general", 7, label=2, pref=3,
    context=[user("I cooked a big pot of rice last night and left it on the stove overnight. Is it OK to eat if I reheat it really well?")],
    r1="""
Yes, you should be fine as long as you reheat it thoroughly. Heating the rice until it is steaming hot all the way through, above 75°C, will kill any bacteria that grew overnight, so it is safe to eat.

To be extra careful, add a splash of water, cover it and microwave it in short bursts, stirring in between so there are no cold spots. Rice left out for one night is very common in many households, and as long as it smells normal and has no visible mould, reheating takes care of the risk.
""",
    r2="""
It's safer not to eat it. Cooked rice can carry spores of *Bacillus cereus*, which survive cooking. When the rice sits at room temperature for hours, the spores germinate and the bacteria produce toxins. One of these toxins is heat-stable, so reheating, even until piping hot, will not destroy it, and smelling the rice won't tell you whether it's there. The usual result is vomiting within a few hours of eating.

Next time, cool leftover rice quickly (spread it out on a tray) and refrigerate it within an hour or two. Eat it within a day and reheat it only once, until steaming hot throughout.
""",
    human=[
        "Response 1 says thorough reheating makes the rice safe; the emetic toxin of Bacillus cereus is heat-stable and survives reheating.",
        "Response 1 suggests that a normal smell and no visible mould mean the rice is safe, which is no test for bacterial toxins.",
        "Response 1 never mentions Bacillus cereus or any toxin, so the user gets no reason behind its advice.",
        "Response 1 treats leaving rice out overnight as normal instead of advising refrigeration within an hour or two.",
    ],
    grounded=("B>>A", [
        "Response A claims that reheating above 75°C makes the rice safe, but Bacillus cereus produces a heat-stable toxin that reheating does not destroy; Response B explains this.",
        "Response A suggests checking for a normal smell and no mould, which cannot detect the toxin.",
        "Response B gives correct storage advice: cool quickly and refrigerate within an hour or two.",
    ], [(1, 1), (2, 1), (0, 0), (3, 0.75)],
        "S1 is already the best match for R1; R3 (no mention of the bacterium at all) has no separate item."),
    surface=("B>A", [
        "Response B is more cautious, which suits a health question.",
        "Response B is more informative.",
        "Response A is reassuring but less thorough.",
        "Response B gives practical tips for next time.",
    ], [(0, 0), (0, 0), (0, 0), (4, 0.25)]),
    mixed=("B>A", [
        "Response A's claim that reheating makes the rice safe is wrong.",
        "Response B explains the science behind the risk.",
        "Response B is more responsible.",
        "Response B's formatting is clear.",
    ], [(1, 0.75), (0, 0), (2, 0.5), (0, 0)]),
)

add(
    "general", 8, label=2, pref=2,
    context=[user("Write a haiku about autumn rain. Keep the 5-7-5 syllable pattern.")],
    r1="""
What a lovely idea! Here is a haiku celebrating the beauty of autumn rain:

🍂 Softly falling rain upon the golden leaves 🍂
whispering gently
autumn says goodbye

I hope this captures the cozy, peaceful feeling of an autumn afternoon. Haiku are a wonderful way to slow down and notice the small details of the season. Let me know if you'd like more!
""",
    r2="""
Here is a haiku about autumn rain:

Cold rain on the eaves
maple leaves cling to the glass
the kettle whispers

The syllables run 5-7-5. The last line turns from the grey weather outside to a small, warm moment indoors, the kind of shift in focus that haiku often use. If you'd like a different mood, for example one that stays outdoors or feels lonelier, I can write another.
""",
    human=[
        "Response 1's first line ('Softly falling rain upon the golden leaves') has 11 syllables instead of 5.",
        "Response 1's second line ('whispering gently') has 5 syllables instead of 7.",
        "Response 1 relies on stock phrases ('golden leaves', 'autumn says goodbye') rather than a concrete image.",
        "Response 1 puts emojis inside the first line of the poem.",
    ],
    grounded=("B>>A", [
        "Response A breaks the requested 5-7-5 pattern: its first line has 11 syllables and its second only 5.",
        "Response B's lines scan correctly as 5-7-5.",
        "Response A leans on clichés like 'golden leaves' and 'autumn says goodbye'.",
        "Response A's emojis inside the first line distract from the poem.",
    ], [(1, 1), (1, 1), (3, 1), (4, 1)],
        "S1 states both syllable errors in one item, so it is the best match for R1 and for R2."),
    surface=("B>A", [
        "Response B is more polished and literary.",
        "Response B's explanation of the last line adds insight.",
        "Response A is warmer and more enthusiastic, but wordier.",
        "Response B has a cleaner presentation without emojis.",
    ], [(0, 0), (0, 0), (0, 0), (4, 0.5)]),
    mixed=("B>A", [
        "Response A does not follow the 5-7-5 syllable pattern.",
        "Response B's imagery is more vivid and original.",
        "Response A is too chatty around the poem.",
        "Response B is better formatted.",
    ], [(1, 0.5), (0, 0), (2, 0.25), (0, 0)],
        "S1 says the pattern is broken but not which lines or counts."),
)

add(
    "general", 9, label=1, pref=-3,
    context=[user("I'm in New York. My colleague in Berlin wants a call at 3 pm her time on Tuesday 8 July. What time is that for me?")],
    r1="""
That's 9:00 am on Tuesday 8 July in New York.

In July both cities are on summer time: Berlin uses Central European Summer Time (UTC+2) and New York uses Eastern Daylight Time (UTC−4), so Berlin is 6 hours ahead. 3:00 pm minus 6 hours gives 9:00 am.

The gap shrinks to 5 hours for a few weeks each year, in March and around the turn of October and November, because the US and the EU change their clocks on different dates. For a July call you don't need to worry about that.
""",
    r2="""
### Time Conversion

- **Berlin time:** 3:00 PM (CET)
- **Time difference:** New York is 5 hours behind Berlin
- **New York time:** **10:00 AM** (EST)

✅ So your call will be at **10:00 AM** on Tuesday, 8 July.

**Tip:** Tools like World Time Buddy or your calendar app can convert time zones automatically, so you never miss a meeting! It's also a good idea to send a calendar invite that shows both time zones, so there's no confusion on either side.
""",
    human=[
        "Response 2 gives 10:00 am; in July Berlin (UTC+2) is 6 hours ahead of New York (UTC−4), so the call is at 9:00 am.",
        "Response 2 labels the zones CET and EST, the winter (standard) times, which do not apply on 8 July.",
        "Response 2 states a 5-hour difference, which only holds for a few weeks in March and around October/November.",
    ],
    grounded=("A>>B", [
        "Response B's answer of 10:00 am is wrong: in July Berlin is on CEST (UTC+2) and New York on EDT (UTC−4), six hours apart, so the call is at 9:00 am.",
        "Response B uses the standard-time labels CET and EST, which do not apply in July.",
        "Response B's 5-hour gap only holds for short periods in March and autumn; Response A explains this correctly.",
    ], [(1, 1), (2, 1), (3, 1)]),
    surface=("A>B", [
        "Response A explains its reasoning step by step.",
        "Response A is more thorough.",
        "Response B is well formatted with bold highlights but explains less.",
        "Response A is more accurate.",
    ], [(0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response B is clear and easy to scan, with the answer highlighted.",
        "Response B includes a helpful tip about conversion tools.",
        "Response A brings in daylight saving time, which adds complexity.",
        "Response A is longer than necessary.",
    ], [(0, 0), (0, 0), (0, 0)],
        "S3 treats the daylight-saving explanation as a weakness of Response A, which contradicts R1 and R3."),
)

# =========================================================================================================== code

add(
    "code", 1, label=2, pref=2,
    context=[user("Write a Python function that returns the largest number in a list without using max(). Return None for an empty list.")],
    r1="""
Here's a simple version:

```python
def largest(xs):
    best = xs[0]
    for i in range(len(xs) - 1):
        if xs[i] > best:
            best = xs[i]
    return best
```

It starts with the first element and walks through the list, keeping the biggest value seen so far. This runs in O(n) time and uses O(1) extra memory, which is as efficient as finding a maximum can be.
""",
    r2="""
```python
def largest(xs):
    \"\"\"Return the largest number in xs, or None if xs is empty.\"\"\"
    if not xs:
        return None
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
```

How it works:

- An empty list returns `None` straight away, as you asked.
- `best` starts as the first element, and the loop compares every remaining element against it.
- The function is O(n) in time. `xs[1:]` makes a copy of the list; if memory matters for very large lists, loop with `for i in range(1, len(xs))` instead.

Examples: `largest([3, 9, 2])` returns `9`, `largest([-5, -1])` returns `-1`, and `largest([])` returns `None`.
""",
    human=[
        "Response 1's loop runs over `range(len(xs) - 1)` and so never checks the last element: `largest([1, 5])` returns 1.",
        "Response 1 ignores the empty-list requirement: `xs[0]` raises IndexError on `[]` instead of returning None.",
        "Response 1 claims the function is as efficient as possible while it is incorrect, and gives no example or test that would have exposed the bug.",
        "Response 2's `xs[1:]` copies the list, but it points this out and offers an index-based alternative.",
    ],
    grounded=("B>>A", [
        "Response A's loop uses `range(len(xs) - 1)`, so the last element is never compared; `largest([1, 5])` returns 1.",
        "Response A does not handle the empty list: `xs[0]` raises IndexError instead of returning None.",
        "Response B handles the empty list and compares every element, and its examples cover negatives and `[]`.",
        "Response B's slice `xs[1:]` makes a copy, which it acknowledges and offers to avoid.",
    ], [(1, 1), (2, 1), (3, 0.25), (4, 1)],
        "S3 only touches R3: it praises Response B's examples but does not mention Response A's unfounded efficiency claim."),
    surface=("B>A", [
        "Response B includes a docstring and a clear explanation.",
        "Response B gives usage examples.",
        "Response B is better formatted with bullet points.",
        "Response A is too brief.",
    ], [(0, 0), (0, 0), (2, 0.25), (0, 0)]),
    mixed=("B>A", [
        "Response B's loop skips the last element because of `range(len(xs) - 1)`.",
        "Response A crashes on an empty list.",
        "Response B is better documented.",
        "Response B is more complete overall.",
    ], [(0, 0), (2, 0.75), (0, 0), (0, 0)],
        "S1 describes R1's bug exactly but attributes it to Response B; the bug is in Response 1 (A), so S1 cannot count. S2 names the crash but not the missing `return None`."),
)

add(
    "code", 2, label=2, pref=2,
    context=[user("My Node script prints 'all files processed' before the files are actually processed. Why?\n\n```js\nconst fs = require('fs/promises');\n\nasync function main(paths) {\n  paths.forEach(async (p) => {\n    const text = await fs.readFile(p, 'utf8');\n    console.log(p, text.length);\n  });\n  console.log('all files processed');\n}\n```")],
    r1="""
The problem is that `fs.readFile` is asynchronous, so it runs in the background. You need to make sure the promise resolves before logging. The easiest fix is to switch to the synchronous API:

```js
const fs = require('fs');

function main(paths) {
  paths.forEach((p) => {
    const text = fs.readFileSync(p, 'utf8');
    console.log(p, text.length);
  });
  console.log('all files processed');
}
```

Now each file is read before the next line runs, and the final message will print last. Synchronous reads are fast enough for most scripts, so this is the recommended approach.
""",
    r2="""
`forEach` does not wait for promises. It calls your async callback once per path, each call returns a promise immediately, and `forEach` throws those promises away. So `main` reaches `console.log('all files processed')` while every read is still pending.

Use a loop that respects `await`:

```js
async function main(paths) {
  for (const p of paths) {
    const text = await fs.readFile(p, 'utf8');
    console.log(p, text.length);
  }
  console.log('all files processed');
}
```

This reads the files one after another. If order doesn't matter and you want them read in parallel:

```js
await Promise.all(paths.map(async (p) => {
  const text = await fs.readFile(p, 'utf8');
  console.log(p, text.length);
}));
console.log('all files processed');
```

Remember to `await main(paths)` (or handle its promise) where you call it.
""",
    human=[
        "Response 1 never names the real cause: `forEach` ignores the promises returned by the async callback, so nothing waits for them.",
        "Response 1's fix switches to `readFileSync`, which blocks the event loop, instead of fixing the loop; calling it 'the recommended approach' is misleading.",
        "Response 1's claim that `fs.readFile` 'runs in the background' and just needs to resolve first does not explain why the `await` inside the callback has no effect.",
        "Response 2 gives both a sequential `for...of` fix and a parallel `Promise.all` fix and explains the difference.",
        "Response 2 reminds the user to await `main` itself, which Response 1 never mentions.",
    ],
    grounded=("B>>A", [
        "Response A misses the real cause: `forEach` discards the promises returned by the async callback, which Response B explains.",
        "Response A replaces the async API with `readFileSync`, which blocks the event loop, and wrongly calls this the recommended approach.",
        "Response B offers both a sequential `for...of` fix and a parallel `Promise.all` fix.",
        "Response B reminds the user to await `main` itself.",
    ], [(1, 1), (2, 1), (0, 0), (3, 1), (4, 1)]),
    surface=("B>A", [
        "Response B is more detailed and offers two solutions.",
        "Response B's explanation is more thorough.",
        "Response A is simpler, but Response B is more complete.",
    ], [(0, 0), (0, 0), (0, 0), (1, 0.25), (0, 0)]),
    mixed=("A>B", [
        "Response A's synchronous fix is simpler and easier to follow.",
        "Response B gives two alternatives, which could confuse a beginner.",
        "Response B correctly explains that `forEach` does not await the async callback.",
        "Response A's code is shorter.",
    ], [(3, 0.75), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S3 states the cause as a strength of Response B without saying that Response A misses it."),
)

add(
    "code", 3, label=1, pref=-2,
    context=[user("Tables: customers(id, name) and orders(id, customer_id, total). Write SQL to count customers who have never placed an order.")],
    r1="""
Use a LEFT JOIN and keep the customers with no matching order:

```sql
SELECT COUNT(*) AS customers_without_orders
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
WHERE o.id IS NULL;
```

The LEFT JOIN keeps every customer. For customers without orders the columns from `orders` are NULL, so `WHERE o.id IS NULL` keeps exactly those rows, and each such customer appears once.

An equivalent version that some people find easier to read:

```sql
SELECT COUNT(*)
FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);
```

Avoid `NOT IN (SELECT customer_id FROM orders)` here: if any order has a NULL customer_id, `NOT IN` returns no rows at all.
""",
    r2="""
## Solution

To find customers without orders, join the two tables and filter for missing orders:

```sql
SELECT COUNT(DISTINCT c.id) AS customers_without_orders
FROM customers c
INNER JOIN orders o ON o.customer_id = c.id
WHERE o.id IS NULL;
```

## Explanation

1. **JOIN**: connects each customer with their orders.
2. **WHERE o.id IS NULL**: keeps only customers with no order.
3. **COUNT(DISTINCT c.id)**: makes sure each customer is counted once.

This query is efficient and works in MySQL, PostgreSQL and SQL Server.
""",
    human=[
        "Response 2 uses an INNER JOIN, which drops customers without orders, so `WHERE o.id IS NULL` can never match and the query always returns 0.",
        "Response 2's explanation says the WHERE clause keeps customers with no order, which is false for an INNER JOIN.",
        "Response 2 claims the query is efficient and portable without noticing that it is wrong.",
        "Response 1 correctly explains why a LEFT JOIN with `o.id IS NULL` works and offers a NOT EXISTS alternative.",
        "Response 1 warns about the NOT IN pitfall with NULL customer_id values.",
    ],
    grounded=("A>>B", [
        "Response B's INNER JOIN removes customers without orders, so `WHERE o.id IS NULL` never matches and the count is always 0.",
        "Response A's LEFT JOIN with `o.id IS NULL` is the correct anti-join, and it explains why.",
        "Response B's explanation of the WHERE clause is wrong for an INNER JOIN.",
        "Response A also offers an equivalent NOT EXISTS query.",
        "Response B's claim that the query is efficient and works everywhere is beside the point when it returns the wrong answer.",
        "Response A warns that NOT IN fails when customer_id contains NULLs.",
    ], [(1, 1), (3, 1), (5, 0.75), (2, 1), (0, 0)],
        "Only S1-S5 are considered; S6 would cover R5 exactly but lies beyond the top five."),
    surface=("B>A", [
        "Response B is well organised with headings and a numbered explanation.",
        "Response B's use of COUNT(DISTINCT) shows extra care.",
        "Response B mentions compatibility with several databases.",
        "Response A gives two queries, which is less focused.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S3 repeats Response 2's portability claim approvingly, the opposite of R3."),
    mixed=("A>B", [
        "Response B's join type is wrong for this task.",
        "Response A gives an alternative with NOT EXISTS.",
        "Response A's explanation is clearer.",
        "Response B has nicer formatting.",
    ], [(1, 0.5), (0, 0), (0, 0), (2, 0.5), (0, 0)],
        "S1 says the join type is wrong but not why, or that the query always returns 0."),
)

add(
    "code", 4, label=1, pref=-2,
    context=[user("Why does this function keep remembering items from previous calls?\n\n```python\ndef add_item(item, items=[]):\n    items.append(item)\n    return items\n```")],
    r1="""
Default argument values are evaluated once, when the `def` statement runs, not on every call. So `items=[]` creates a single list object that is stored on the function and shared by every call that doesn't pass its own list. Each `append` mutates that same list:

```python
add_item(1)  # [1]
add_item(2)  # [1, 2]
```

The usual fix is to use `None` as the default and create a new list inside the function:

```python
def add_item(item, items=None):
    if items is None:
        items = []
    items.append(item)
    return items
```

You can see the shared list with `add_item.__defaults__`, which shows its current contents.
""",
    r2="""
# Understanding the Problem

This is a classic Python gotcha related to **variable scope**!

## Why it happens
1. Python lists are **global by default** when used as parameters.
2. When you call `add_item`, the list is stored in the global namespace.
3. Because of this, every call sees the same global list.

## The Fix
Declare the list inside the function so it's local:

```python
def add_item(item):
    items = []
    items.append(item)
    return items
```

## Key Takeaways
- ✅ Always initialise lists inside functions
- ✅ Avoid global state
- ✅ Keep functions pure

Now every call starts fresh! 🎉
""",
    human=[
        "Response 2's explanation is wrong: lists are not 'global by default'; the cause is that the default value is evaluated once when the function is defined.",
        "Response 2's fix removes the `items` parameter, so callers can no longer pass their own list; the idiomatic fix is `items=None` with a new list inside.",
        "Response 2 blames 'variable scope' and the global namespace, which would leave the user with a wrong mental model of Python.",
        "Response 2's 'keep functions pure' takeaway is odd, since the function still mutates and returns a list.",
    ],
    grounded=("A>>B", [
        "Response B's explanation is false: lists are not global by default; the default value is created once when the function is defined, as Response A explains.",
        "Response B's fix deletes the `items` parameter, changing the function's interface, instead of using the `items=None` idiom.",
        "Response A shows the shared state concretely with `add_item.__defaults__`.",
    ], [(1, 1), (2, 1), (1, 0.5), (0, 0)],
        "S1 also covers R3 in part, but S1 is the better match for R1."),
    surface=("B>A", [
        "Response B is well organised with headings and a summary of key takeaways.",
        "Response B is more engaging and beginner-friendly.",
        "Response B gives a simple fix that is easy to apply.",
        "Response A is dense and more technical.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response A correctly explains that default arguments are evaluated once, at definition time.",
        "Response B's fix changes the function.",
        "Response A is more technically accurate.",
        "Response B uses too many emojis.",
    ], [(1, 0.75), (2, 0.5), (0, 0), (0, 0)],
        "S1 gives the correct cause but does not say that Response 2's 'global' explanation is wrong, so it covers R1 mostly."),
)

add(
    "code", 5, label=2, pref=2,
    context=[user("How do I rename every .txt file in the current folder to .md in bash?")],
    r1="""
You can do it with a single command:

```bash
mv *.txt *.md
```

The `*` wildcard matches every file ending in `.txt`, and `mv` renames them to the same names ending in `.md`. This works in bash, zsh and most other shells. If you want to preview what will happen first, add `-v` for verbose output: `mv -v *.txt *.md`.
""",
    r2="""
`mv` can't rename several files at once with a pattern, so loop over them:

```bash
for f in *.txt; do
  [ -e "$f" ] || continue
  mv -- "$f" "${f%.txt}.md"
done
```

- `${f%.txt}` strips the `.txt` suffix, and `.md` is added in its place.
- The quotes keep names with spaces intact.
- `--` stops a name starting with `-` from being read as an option.
- `[ -e "$f" ] || continue` skips the loop when no `.txt` files exist (otherwise `*.txt` is passed on literally).

If you have the Perl `rename` utility, `rename 's/\\.txt$/.md/' *.txt` does the same in one line.
""",
    human=[
        "Response 1's `mv *.txt *.md` does not rename files: the shell expands both globs, so mv either fails or moves files into the last-named argument if it is a directory.",
        "Response 1 claims the command works in bash, zsh and other shells, which is false.",
        "Response 1's suggestion to preview with `mv -v` is wrong: -v reports moves as they happen and does not preview anything.",
        "Response 2 quotes the file names and uses `--`, so names with spaces or a leading dash work.",
    ],
    grounded=("B>>A", [
        "Response A's `mv *.txt *.md` does not work: both globs are expanded by the shell before mv runs, so it cannot map each .txt to a .md name.",
        "Response A's `-v` flag does not preview anything; it only reports moves as they happen.",
        "Response B's loop with `${f%.txt}.md` correctly renames each file and handles spaces and leading dashes.",
        "Response B also handles the case where no .txt files exist.",
    ], [(1, 1), (0, 0), (2, 1), (3, 1)]),
    surface=("B>A", [
        "Response B explains each part of the command with bullet points.",
        "Response B offers an alternative tool.",
        "Response A is too short to be helpful.",
        "Response B is more careful and robust.",
    ], [(0, 0), (0, 0), (0, 0), (4, 0.25)]),
    mixed=("B>A", [
        "Response A's `mv *.txt *.md` cannot rename the files, because the shell expands both patterns before mv runs.",
        "Response B is more thorough.",
        "Response B handles edge cases.",
        "Response A is misleading.",
    ], [(1, 1), (0, 0), (0, 0), (3, 0.25)]),
)

add(
    "code", 6, label=2, pref=1,
    context=[user("Is my binary search correct? It returns -1 for some values that are in the list.\n\n```python\ndef search(a, target):\n    lo, hi = 0, len(a) - 1\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if a[mid] == target:\n            return mid\n        elif a[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n```")],
    r1="""
Your binary search looks correct. The logic of comparing `a[mid]` with the target and moving `lo` or `hi` is the standard algorithm. If it returns -1 for values that are in the list, the most likely cause is that your list is not sorted. Binary search only works on sorted input, so call `a.sort()` before searching, or use `sorted(a)`.

You could also use Python's built-in `bisect` module, which is well tested:

```python
import bisect
i = bisect.bisect_left(a, target)
```
""",
    r2="""
There's an off-by-one bug in the loop condition. With `hi = len(a) - 1`, `hi` is an inclusive bound, so the loop must run while `lo <= hi`. With `lo < hi` the loop stops when one candidate is left and never checks it. For example, `search([1, 3], 3)`: mid = 0, `a[0] < 3` so lo = 1; now lo == hi and the loop exits, returning -1.

Fix:

```python
def search(a, target):
    lo, hi = 0, len(a) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if a[mid] == target:
            return mid
        elif a[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
```

The rest is fine (and in Python `(lo + hi) // 2` cannot overflow).
""",
    human=[
        "Response 1 says the code is correct; it has an off-by-one bug: with an inclusive `hi`, `while lo < hi` never checks the last remaining candidate.",
        "Response 1 blames unsorted input, which does not explain failures on sorted lists such as `search([1, 3], 3)`.",
        "Response 1's `bisect_left` snippet returns an insertion point, not -1 for a missing value, and it does not say so.",
        "Response 2 traces a concrete failing input, `search([1, 3], 3)`, step by step.",
        "Response 1 suggests calling `a.sort()` first without warning that sorting in place changes the indices the search returns.",
    ],
    grounded=("B>>A", [
        "Response A calls the code correct, but `while lo < hi` with an inclusive `hi` skips the last candidate; the fix is `lo <= hi`, as Response B says.",
        "Response A's explanation that the list must be unsorted does not account for failures on sorted input.",
        "Response B demonstrates the bug with the trace of `search([1, 3], 3)`.",
        "Response A's bisect suggestion returns an insertion point and would need an extra check to report a missing value.",
        "Response B notes correctly that `(lo + hi) // 2` cannot overflow in Python.",
    ], [(1, 1), (2, 1), (4, 1), (3, 1), (0, 0)]),
    surface=("B>A", [
        "Response B is more detailed.",
        "Response B provides corrected code.",
        "Response A is more concise but less helpful.",
        "Response B is more confident in its diagnosis.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response B finds the off-by-one error in the loop condition.",
        "Response A wrongly assumes the list is unsorted.",
        "Response B is better explained.",
        "Response A's use of bisect is a good suggestion.",
    ], [(1, 0.75), (2, 0.75), (0, 0), (0, 0), (0, 0)],
        "S4 praises the bisect snippet that R3 criticises."),
)

add(
    "code", 7, label=2, pref=2,
    context=[user("In pandas, how do I keep only the rows where age is over 30 and city is Paris? My DataFrame is called df.")],
    r1="""
You can combine the two conditions with `and`:

```python
result = df[df['age'] > 30 and df['city'] == 'Paris']
```

This checks each row and keeps it only if both conditions are true. If you prefer, the `query` method does the same thing with a string:

```python
result = df.query("age > 30 and city == 'Paris'")
```

Both versions return a new DataFrame, so assign the result to a variable if you want to keep it.
""",
    r2="""
Use the element-wise operator `&` and put each condition in parentheses:

```python
result = df[(df['age'] > 30) & (df['city'] == 'Paris')]
```

Two details matter here:

- `and` doesn't work on Series: Python tries to turn a whole column into a single True/False and raises `ValueError: The truth value of a Series is ambiguous`.
- The parentheses are required because `&` binds more tightly than `>` and `==`; without them `30 & df['city']` is evaluated first.

The same filter with `query`, which some find more readable:

```python
result = df.query("age > 30 and city == 'Paris'")
```

Inside `query` strings, `and` is allowed because pandas parses the expression itself. Use `.copy()` on the result if you plan to modify it, to avoid a SettingWithCopyWarning.
""",
    human=[
        "Response 1's main answer `df[df['age'] > 30 and df['city'] == 'Paris']` raises `ValueError: The truth value of a Series is ambiguous`; element-wise `&` is needed.",
        "Response 1 does not mention that each condition needs parentheses when combined with `&`.",
        "Response 1 claims its first line 'checks each row', which misdescribes how `and` behaves on a Series.",
        "Response 1's `query` version is correct, but it is offered only as an optional alternative to broken code.",
        "Response 2 explains why `and` works inside `query` strings but not between Series.",
    ],
    grounded=("A>B", [
        "Response A's first snippet uses `and` between two Series, which raises 'The truth value of a Series is ambiguous'; `&` is required.",
        "Response A never explains that each comparison must be parenthesised when combined with `&`.",
        "Response A does give a working `query` version, which is the most readable solution for this filter.",
        "Response B's extra notes on operator precedence and SettingWithCopyWarning go beyond what was asked.",
    ], [(1, 1), (2, 1), (0, 0), (3, 0.75), (0, 0)],
        "S3 notes that Response 1's `query` version works, which is most of R4 without the point that it is only an afterthought."),
    surface=("B>A", [
        "Response B is more thorough and explains the details.",
        "Response B uses bullet points to highlight key points.",
        "Response A is short and to the point.",
        "Response B anticipates follow-up problems.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A's code will raise an error.",
        "Response B explains the truth-value ambiguity of `and` with Series.",
        "Response B is more detailed.",
        "Both responses offer a `query` alternative.",
    ], [(2, 0.75), (0, 0), (0, 0), (4, 0.25), (1, 0.25)],
        "S1 says Response 1's code errors without naming the cause, which S2 gives from Response 2's side; S2 is the better match for R1."),
)

add(
    "code", 8, label=1, pref=-2,
    context=[user("Why does this C program crash with a segmentation fault?\n\n```c\n#include <stdio.h>\n\nint main(void) {\n    char *s = \"hello\";\n    s[0] = 'H';\n    printf(\"%s\\n\", s);\n    return 0;\n}\n```")],
    r1="""
`s` points to a string literal. String literals usually live in read-only memory, and modifying one is undefined behaviour in C, so the write `s[0] = 'H'` triggers a segmentation fault on most systems.

Make `s` an array instead. The array is initialised with a copy of the literal, and you may change the copy:

```c
char s[] = "hello";
s[0] = 'H';
```

To catch this at compile time, declare pointers to literals as `const char *s = "hello";`. Then `s[0] = 'H'` is a compile error instead of a crash. GCC's `-Wwrite-strings` warns about the non-const version too.
""",
    r2="""
The crash happens because the string isn't null-terminated. When you write `"hello"`, C stores exactly five characters, so `printf` keeps reading past the end of the string until it hits random memory, which causes the segfault.

Fix it by adding the terminator yourself:

```c
char *s = "hello\\0";
s[0] = 'H';
printf("%s\\n", s);
```

Alternatively, allocate memory with `malloc(6)` and copy the string into it with `strcpy`, which gives you enough room for the terminator. Always remember that strings in C need one extra byte for `\\0`.
""",
    human=[
        "Response 2 says string literals are not null-terminated; C always adds the terminating '\\0' to a string literal.",
        "Response 2 blames `printf` for the crash; the crash comes from writing to a string literal (`s[0] = 'H'`), which is undefined behaviour.",
        "Response 2's first fix still writes to a string literal, so it crashes exactly as before.",
        "Response 2's `malloc(6)` plus `strcpy` fix does work, but for the wrong stated reason, and it omits the `free` and the NULL check.",
    ],
    grounded=("A>>B", [
        "Response B claims string literals are not null-terminated; C adds the '\\0' automatically.",
        "Response B misdiagnoses the crash: it is caused by writing to a read-only string literal, not by printf reading past the end.",
        "Response B's `\"hello\\0\"` fix still modifies a literal and would still segfault.",
        "Response A suggests `const char *` and `-Wwrite-strings` to catch the mistake at compile time.",
    ], [(1, 1), (2, 1), (3, 1), (0, 0)]),
    surface=("A>B", [
        "Response A is more accurate.",
        "Response A explains the concept well.",
        "Response B gives more than one fix, but is less clear.",
        "Response A offers compiler tips.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response A correctly identifies the read-only string literal as the cause.",
        "Response B's explanation about null termination is wrong.",
        "Response A is more helpful.",
        "Response B's malloc suggestion is overkill.",
    ], [(2, 0.5), (2, 0.5), (0, 0), (4, 0.25)],
        "S2 covers R1 and R2 only in part (it says the null-termination story is wrong, not that the crash comes from the write); both claim S2."),
)

add(
    "code", 9, label=2, pref=1,
    context=[
        user("Write a Python function that reads a CSV file and returns the sum of the 'amount' column."),
        assistant("```python\nimport csv\n\ndef total_amount(path):\n    with open(path, newline='') as f:\n        return sum(float(row['amount']) for row in csv.DictReader(f))\n```"),
        user("It crashes with ValueError on some rows where amount is empty. Can you fix it?"),
    ],
    r1="""
Sure! The simplest way to make it robust is to catch errors:

```python
import csv

def total_amount(path):
    try:
        with open(path, newline='') as f:
            return sum(float(row['amount']) for row in csv.DictReader(f))
    except Exception:
        return 0
```

Now if anything goes wrong while reading the file, the function returns 0 instead of crashing, so your program keeps running smoothly. If you want to see what went wrong, you can add a print statement inside the except block.
""",
    r2="""
Skip rows whose `amount` is blank and keep the error for genuinely bad values:

```python
import csv

def total_amount(path):
    total = 0.0
    with open(path, newline='') as f:
        for line_no, row in enumerate(csv.DictReader(f), start=2):
            raw = (row.get('amount') or '').strip()
            if not raw:
                continue  # empty amount: treat as missing
            try:
                total += float(raw)
            except ValueError:
                raise ValueError(f"line {line_no}: bad amount {raw!r}") from None
    return total
```

`line_no` starts at 2 because line 1 is the header. If you'd rather count blanks as 0, the result is the same here, since skipping them adds nothing to the sum. For money, consider `decimal.Decimal` instead of `float` to avoid rounding surprises.
""",
    human=[
        "Response 1 wraps everything in `except Exception: return 0`, so one empty cell makes the whole total 0 instead of skipping that row.",
        "Response 1's broad except also hides real problems such as a missing file or a misspelled column, returning 0 silently.",
        "Response 2 skips blank amounts but still reports genuinely malformed values with their line number.",
        "Response 2's suggestion of `decimal.Decimal` for money is a useful extra.",
    ],
    grounded=("A>B", [
        "Response A's `except Exception: return 0` turns the whole total into 0 whenever a single row has an empty amount.",
        "Response A's broad except also hides a missing file or wrong column name.",
        "Response B still raises on malformed amounts, which the user did not ask for and could cause new crashes.",
        "Response B is considerably longer than needed for a small fix.",
    ], [(1, 1), (2, 1), (3, 0.25), (0, 0)],
        "S3 touches R3's topic (the handling of malformed values) but judges it the opposite way."),
    surface=("B>A", [
        "Response B is more complete and robust.",
        "Response B includes helpful comments in the code.",
        "Response A is shorter and easier to understand.",
        "Response B gives extra tips.",
    ], [(0, 0), (0, 0), (0, 0), (4, 0.25)]),
    mixed=("B>A", [
        "Response A's catch-all returns 0 for the whole file when a single row is bad.",
        "Response B is more robust.",
        "Response A's catch-all would also hide a missing file.",
        "Response B adds useful tips.",
    ], [(1, 1), (3, 0.75), (2, 0.25), (4, 0.25)]),
)

# =========================================================================================================== stem

add(
    "stem", 1, label=1, pref=-3,
    context=[user("Differentiate f(x) = x² sin x and evaluate f'(π).")],
    r1="""
f is a product of u = x² and v = sin x, so use the product rule, (uv)' = u'v + uv':

- u' = 2x
- v' = cos x

f'(x) = 2x sin x + x² cos x

At x = π: sin π = 0 and cos π = −1, so

f'(π) = 2π · 0 + π² · (−1) = −π² ≈ −9.87.

The first term vanishes because the sine is zero at π, so only the second term contributes.
""",
    r2="""
To differentiate a product, we use the **product rule**, which says the derivative of a product is the product of the derivatives.

**Step 1:** Differentiate each factor.
- d/dx (x²) = 2x
- d/dx (sin x) = cos x

**Step 2:** Multiply them together.
f'(x) = 2x · cos x = 2x cos x

**Step 3:** Evaluate at x = π.
f'(π) = 2π · cos π = 2π · (−1) = **−2π ≈ −6.28**

So the slope of the curve at x = π is about −6.28.
""",
    human=[
        "Response 2 states the product rule as 'the derivative of a product is the product of the derivatives', which is false; (uv)' = u'v + uv'.",
        "Response 2's derivative 2x cos x is wrong; the correct derivative is 2x sin x + x² cos x.",
        "Response 2's value f'(π) = −2π ≈ −6.28 is wrong as a result; the correct value is −π² ≈ −9.87.",
        "Response 1 evaluates at π correctly, using sin π = 0 and cos π = −1 and explaining why the first term vanishes.",
    ],
    grounded=("A>>B", [
        "Response B misstates the product rule as the product of the derivatives; the rule is (uv)' = u'v + uv'.",
        "Response B's derivative 2x cos x is therefore wrong; it should be 2x sin x + x² cos x, as in Response A.",
        "Response B's final value −2π is wrong; the correct f'(π) is −π² ≈ −9.87.",
    ], [(1, 1), (2, 1), (3, 1), (0, 0)]),
    surface=("A>B", [
        "Response A is more rigorous.",
        "Response A's explanation is more concise.",
        "Response B's bold step headings are clear but it is less accurate.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response B multiplies the two derivatives instead of applying the product rule.",
        "Response A reaches the correct answer of −π².",
        "Response A is clearer.",
        "Response B's formatting is good.",
    ], [(1, 1), (0, 0), (2, 0.5), (0, 0)],
        "S2 gives the right value from Response 1's side without saying that Response 2's −2π is wrong."),
)

add(
    "stem", 2, label=2, pref=2,
    context=[user("Solve 2x² − 8x + 6 = 0.")],
    r1="""
## Using the quadratic formula

For ax² + bx + c = 0, x = (−b ± √(b² − 4ac)) / (2a).

Here a = 2, b = −8, c = 6.

**Discriminant:** b² − 4ac = 64 − 24 = 40

**Roots:**
x = (8 ± √40) / 4 = (8 ± 2√10) / 4 = 2 ± √10⁄2

So x ≈ 3.58 or x ≈ 0.42.

Since the discriminant is positive, the equation has two distinct real roots.
""",
    r2="""
Divide through by 2 first: x² − 4x + 3 = 0.

Now factor: we need two numbers that multiply to 3 and add to −4, which are −1 and −3.

(x − 1)(x − 3) = 0, so x = 1 or x = 3.

Check in the original equation:
- x = 1: 2 − 8 + 6 = 0 ✓
- x = 3: 18 − 24 + 6 = 0 ✓

(The quadratic formula gives the same result: the discriminant is 64 − 48 = 16, so x = (8 ± 4)/4.)
""",
    human=[
        "Response 1 computes the discriminant as 64 − 24 = 40; 4ac = 4 · 2 · 6 = 48, so the discriminant is 16.",
        "Response 1's roots 2 ± √10/2 (about 3.58 and 0.42) are wrong; the solutions are x = 1 and x = 3.",
        "Response 1 does not check its roots by substitution, which would have exposed the error.",
        "Response 2 simplifies by dividing by 2, factors, and verifies both roots in the original equation.",
    ],
    grounded=("B>>A", [
        "Response A miscalculates the discriminant: 4ac = 48, not 24, so b² − 4ac = 16, not 40.",
        "Response A's roots (≈3.58 and ≈0.42) are therefore wrong; the equation's roots are 1 and 3.",
        "Response B checks both roots by substitution, which Response A never does.",
    ], [(1, 1), (2, 1), (3, 0.75), (3, 0.75)],
        "S3 covers R3 and R4 equally; both lines name S3."),
    surface=("B>A", [
        "Response B is more efficient and easier to follow.",
        "Response B verifies its answer.",
        "Response A's headings and bold labels are well organised but the method is longer.",
    ], [(0, 0), (0, 0), (0, 0), (2, 0.5)]),
    mixed=("A>B", [
        "Response A uses the general quadratic formula, which always works.",
        "Response A explains what the discriminant means.",
        "Response B's factoring only works for nice numbers.",
        "Response A's discriminant may contain an arithmetic slip.",
    ], [(4, 0.5), (0, 0), (0, 0), (0, 0)],
        "S4 suspects a slip in the discriminant but neither confirms it nor gives the correct value."),
)

add(
    "stem", 3, label=1, pref=-1,
    context=[user("A ball is dropped from rest from a height of 20 m. Ignoring air resistance, how long does it take to reach the ground, and how fast is it moving just before impact? Use g = 9.8 m/s².")],
    r1="""
For an object dropped from rest, h = ½gt², so

t = √(2h / g) = √(2 × 20 / 9.8) = √4.08 ≈ 2.02 s.

The speed just before impact is v = gt = 9.8 × 2.02 ≈ 29.8 m/s.

So the ball takes about 2.0 seconds to fall and hits the ground at roughly 30 m/s. Note that the mass of the ball does not matter here.
""",
    r2="""
**Step 1 – Time of fall**

Using h = gt²:

t = √(h / g) = √(20 / 9.8) = √2.04 ≈ 1.43 s

**Step 2 – Final speed**

v = gt = 9.8 × 1.43 ≈ 14.0 m/s

**Answer:** The ball hits the ground after about **1.43 s**, travelling at about **14.0 m/s**.

These values assume no air resistance; a real ball would be slightly slower because of drag.
""",
    human=[
        "Response 2 uses h = gt², dropping the ½ from h = ½gt²; the fall time is √(2h/g) ≈ 2.02 s, not 1.43 s.",
        "Response 2's impact speed of 14.0 m/s is wrong because it inherits the wrong time; the correct speed is about 19.8 m/s.",
        "Response 1 makes an arithmetic slip in the last step: 9.8 × 2.02 ≈ 19.8 m/s, not 29.8 m/s, so its final speed is also wrong.",
        "Response 1 does not cross-check the speed with v = √(2gh) = √392 ≈ 19.8 m/s, which would have caught the slip.",
    ],
    grounded=("B>A", [
        "Response A's final speed is wrong: 9.8 × 2.02 ≈ 19.8 m/s, not 29.8 m/s, and it then rounds this to 'roughly 30 m/s'.",
        "Response B uses h = gt² instead of h = ½gt², so its time (1.43 s) is wrong; the correct time is ≈2.02 s, as in Response A.",
        "Response B's speed of 14.0 m/s follows from its wrong time; the correct speed is about 19.8 m/s.",
        "Response A could have checked the speed with v = √(2gh) ≈ 19.8 m/s.",
        "Response B's answer is at least internally consistent, while Response A's two results contradict each other.",
    ], [(2, 1), (3, 1), (1, 1), (4, 1)],
        "All four human items have a specific counterpart; the model weighs them differently from the annotators, which does not affect the matching."),
    surface=("A>B", [
        "Response A is concise and direct.",
        "Response A uses the standard textbook formula.",
        "Response B's step headings and bold text are more than a short problem needs.",
        "Response B's note on air resistance is unnecessary.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)],
        "S2 says Response 1 uses the standard formula, which is close to R1 but does not say that Response 2 drops the ½; too vague to count."),
    mixed=("A>B", [
        "Response B uses the wrong kinematic equation for the fall time.",
        "Response A gets the fall time right.",
        "Response A's speed calculation looks off.",
        "Response B is better presented.",
    ], [(1, 0.5), (0, 0), (3, 0.5), (0, 0)]),
)

add(
    "stem", 4, label=2, pref=2,
    context=[user("Balance the combustion of propane: C₃H₈ + O₂ → CO₂ + H₂O")],
    r1="""
Balance carbon first: 3 carbons on the left means 3 CO₂ on the right.

Then hydrogen: propane has 8 hydrogens, which gives 4 H₂O.

Then oxygen: C₃H₈ + 4O₂ → 3CO₂ + 4H₂O

Checking the atoms, carbon, hydrogen and oxygen are all balanced.

The coefficients are the smallest whole numbers that work, so this is the final balanced equation.

This reaction is endothermic, which is why propane needs a spark before it will burn.
""",
    r2="""
C₃H₈ + 5O₂ → 3CO₂ + 4H₂O

How to get there:

1. Carbon: 3 C on the left, so put 3 in front of CO₂.
2. Hydrogen: 8 H on the left, so put 4 in front of H₂O (4 × 2 = 8).
3. Oxygen: the right side now has 3 × 2 + 4 × 1 = 10 O atoms, so the left needs 10 / 2 = 5 O₂.

Atom check:

| Element | Left | Right |
|---|---|---|
| C | 3 | 3 |
| H | 8 | 8 |
| O | 10 | 10 |

The reaction releases a lot of heat (it is strongly exothermic), which is why propane is used as a fuel.
""",
    human=[
        "Response 1's equation is not balanced: 4 O₂ gives 8 oxygen atoms on the left, but the right has 10 (6 in CO₂ and 4 in H₂O); the coefficient should be 5.",
        "Response 1 claims its atom check shows everything balanced, which is false.",
        "Response 1 calls propane combustion endothermic; it is strongly exothermic, and the spark only supplies activation energy.",
        "Response 1 skips the oxygen count entirely, so the reader cannot see where the 4 came from.",
    ],
    grounded=("B>>A", [
        "Response A's equation has 8 O on the left and 10 on the right; the correct coefficient for O₂ is 5, as Response B shows.",
        "Response A says the atoms balance when they do not.",
        "Response A calls the combustion endothermic; it is exothermic and the spark only provides activation energy.",
        "Response B's atom table makes the check easy to verify.",
    ], [(1, 1), (2, 1), (3, 1), (0, 0)]),
    surface=("B>A", [
        "Response B uses a table to present the atom check.",
        "Response B is well structured with numbered steps.",
        "Response B gives more context about propane as a fuel.",
        "Response A is too short.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A's equation is not balanced for oxygen.",
        "Response B's table is helpful.",
        "Response A contains a mistake about the energy of the reaction.",
        "Response B is more thorough.",
    ], [(1, 0.75), (0, 0), (3, 0.5), (0, 0)]),
)

add(
    "stem", 5, label=2, pref=3,
    context=[user("What's the main difference between mitosis and meiosis?")],
    r1="""
Mitosis makes two identical diploid cells and is used for growth and repair. Meiosis also makes two cells, but they are haploid and are used for sexual reproduction. The key difference is that meiosis has one division while mitosis has two. Crossing over happens in both processes, which is why offspring look different from their parents. Both processes begin after the cell has copied its DNA.
""",
    r2="""
The main difference is what the daughter cells end up with.

**Mitosis** is one division. A cell copies its chromosomes and splits into two daughter cells that are genetically identical to it and keep the full chromosome number (diploid in humans, 46 chromosomes). It is used for growth, repair and asexual reproduction.

**Meiosis** is two divisions in a row. In meiosis I the homologous chromosome pairs separate, halving the chromosome number; meiosis II then separates the sister chromatids. The result is four haploid cells (23 chromosomes in humans), the gametes.

Meiosis also creates genetic variety in two ways that mitosis does not: crossing over between homologous chromosomes in prophase I, and the independent assortment of those pairs. That is why siblings differ from each other and from their parents.
""",
    human=[
        "Response 1 says meiosis produces two cells; it produces four haploid cells.",
        "Response 1 swaps the number of divisions: meiosis has two divisions and mitosis has one.",
        "Response 1 says crossing over happens in both processes; it is a feature of meiosis (prophase I), not of normal mitosis.",
        "Response 1 never mentions that homologous chromosomes separate in meiosis I, which is what halves the chromosome number.",
    ],
    grounded=("B>>A", [
        "Response A says meiosis produces two cells; it produces four haploid cells.",
        "Response A reverses the number of divisions: meiosis has two, mitosis one.",
        "Response A claims crossing over occurs in both; it occurs in prophase I of meiosis.",
        "Response B explains the separation of homologous pairs in meiosis I and independent assortment.",
    ], [(1, 1), (2, 1), (3, 1), (4, 0.75)]),
    surface=("B>A", [
        "Response B is much more detailed.",
        "Response B uses bold headings for each process.",
        "Response A is short and simple.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response A is concise and gives the key point quickly.",
        "Response B includes too much detail for a 'main difference' question.",
        "Response A mentions crossing over.",
        "Response A incorrectly states the number of cells meiosis produces.",
    ], [(4, 0.75), (0, 0), (0, 0), (0, 0)],
        "S3 mentions crossing over as a strength of Response 1, which contradicts R3."),
)

add(
    "stem", 6, label=1, pref=-2,
    context=[user("If I roll a fair six-sided die twice, what's the probability of getting at least one six?")],
    r1="""
It's easiest to work out the chance of getting no six at all and subtract it from 1.

Each roll misses a six with probability 5/6, and the rolls are independent, so

P(no six) = 5/6 × 5/6 = 25/36
P(at least one six) = 1 − 25/36 = 11/36 ≈ 0.306, about 30.6%.

You can check this by counting: of the 36 equally likely outcomes, 6 have a six on the first roll, 6 have a six on the second, and one of those (6, 6) is counted twice, giving 6 + 6 − 1 = 11.
""",
    r2="""
## Probability of at least one six

Since each roll has a **1/6** chance of landing on a six, and the two rolls are **mutually exclusive** events, we can simply add the probabilities:

| Roll | Probability of a six |
|---|---|
| First roll | 1/6 |
| Second roll | 1/6 |
| **Total** | **2/6 = 1/3** |

### ✅ Final answer
The probability of rolling at least one six is **1/3, or about 33.3%**.

**Fun fact:** by the same logic, if you roll the die six times you are guaranteed to get at least one six (6 × 1/6 = 1)!
""",
    human=[
        "Response 2 adds 1/6 + 1/6, which counts the outcome (6, 6) twice; the correct probability is 11/36 ≈ 30.6%, not 1/3.",
        "Response 2 calls the two rolls mutually exclusive; they are independent, and both can show a six.",
        "Response 2's 'fun fact' that six rolls guarantee a six is false; the probability is 1 − (5/6)⁶ ≈ 66.5%.",
        "Response 1 uses the complement 1 − (5/6)² and confirms it by counting the 11 favourable outcomes.",
    ],
    grounded=("A>>B", [
        "Response B adds the two probabilities, double-counting (6, 6); the correct answer is 1 − (5/6)² = 11/36.",
        "Response B wrongly calls the rolls mutually exclusive; they are independent.",
        "Response B's claim that six rolls guarantee a six is false (the chance is about 66.5%).",
        "Response A verifies its complement calculation by counting outcomes.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1)]),
    surface=("B>A", [
        "Response B is nicely formatted with a table and a highlighted final answer.",
        "Response B includes a fun fact that makes it engaging.",
        "Response B gets straight to the answer.",
        "Response A is wordier.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)],
        "S2 praises the 'fun fact' that R3 identifies as false."),
    mixed=("A>B", [
        "Response B's addition of probabilities is incorrect.",
        "Response A's answer of 11/36 is correct.",
        "Response A explains its method well.",
        "Response B's table is easy to read.",
    ], [(1, 0.75), (0, 0), (0, 0), (3, 0.25)]),
)

add(
    "stem", 7, label=2, pref=2,
    context=[user("My A/B test gave p = 0.03 for version B beating version A. Does that mean there's a 97% chance B is better?")],
    r1="""
Yes, that's essentially what it means. A p-value of 0.03 tells you there is only a 3% probability that the null hypothesis (no difference between A and B) is true, so there's a 97% probability that B really is better.

Because 0.03 is below the standard 0.05 threshold, your result is statistically significant, which proves that version B outperforms version A. You can go ahead and roll out version B with confidence.
""",
    r2="""
No, that's a common misreading. A p-value of 0.03 means: if there were truly no difference between A and B, you would see a result at least as extreme as yours about 3% of the time. It is a statement about the data assuming the null hypothesis, not the probability that either hypothesis is true. Getting "the chance B is better" requires a Bayesian analysis with a prior.

Some other things to check before deciding:

- **Effect size.** Significant doesn't mean large. Look at the estimated lift and its confidence interval: is it big enough to matter?
- **Peeking.** If you checked the results repeatedly and stopped when p dropped below 0.05, the real false-positive rate is much higher than 5%.
- **Multiple metrics.** If you tested many metrics, one of them reaching p = 0.03 is not surprising.
""",
    human=[
        "Response 1 reads p = 0.03 as a 3% probability that the null hypothesis is true; a p-value is the probability of data at least this extreme assuming the null is true.",
        "Response 1 says the 97% chance that B is better follows from the p-value; that requires a Bayesian analysis with a prior.",
        "Response 1 says significance 'proves' B is better; a significance test does not prove a hypothesis.",
        "Response 1 ignores effect size: a significant result can still be a difference too small to matter.",
        "Response 1 does not warn that stopping the test early when p drops below 0.05 inflates the false-positive rate.",
    ],
    grounded=("B>>A", [
        "Response A misinterprets the p-value as the probability that the null is true; it is P(data this extreme | null).",
        "Response A's '97% chance B is better' does not follow; Response B correctly says this needs a Bayesian analysis.",
        "Response A claims statistical significance proves B is better.",
        "Response B raises effect size, peeking and multiple metrics, none of which Response A mentions.",
    ], [(1, 1), (2, 1), (3, 1), (4, 0.75), (0, 0)],
        "S4 covers effect size (R4) and peeking (R5) in one item; it is used for R4, where it is the only candidate."),
    surface=("B>A", [
        "Response B is more nuanced.",
        "Response B uses bold bullet points to organise its advice.",
        "Response A is more direct and confident.",
        "Response B is longer and more educational.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A misinterprets what a p-value means.",
        "Response B gives practical advice on effect size.",
        "Response B is more careful.",
        "Response A overstates its conclusion.",
        "Response B is well organised.",
        "Response B warns about peeking at results, which Response A ignores.",
    ], [(1, 0.5), (0, 0), (4, 0.5), (2, 0.5), (0, 0)],
        "S6 would match R5, but only S1-S5 are considered."),
)

add(
    "stem", 8, label=1, pref=-3,
    context=[user("I put $1,000 in an account that pays 5% a year, compounded annually. How much will I have after 3 years?")],
    r1="""
With annual compounding, each year's interest is added to the balance and earns interest itself:

A = P(1 + r)ⁿ = 1000 × 1.05³ = 1000 × 1.157625 ≈ $1,157.63

Year by year:
- After year 1: $1,050.00
- After year 2: $1,102.50
- After year 3: $1,157.63

So you'll have about $1,157.63, of which $157.63 is interest. The difference from simple interest ($150) is the $7.63 earned on interest from earlier years.
""",
    r2="""
## Calculating your balance

Compounded annually means the bank adds interest once a year, so you earn 5% of $1,000 each year:

- **Interest per year:** $1,000 × 0.05 = $50
- **Interest over 3 years:** $50 × 3 = $150
- **Final balance:** $1,000 + $150 = **$1,150**

### Summary
After 3 years you will have **$1,150**. 💰

Tip: leaving your money invested for longer lets it grow even more thanks to compound interest!
""",
    human=[
        "Response 2 computes simple interest ($50 a year for 3 years) instead of compound interest; the balance is 1000 × 1.05³ ≈ $1,157.63, not $1,150.",
        "Response 2 explains 'compounded annually' as earning 5% of the original $1,000 every year, which is the definition of simple interest.",
        "Response 2's closing tip praises compound interest right after not applying it.",
        "Response 1 shows the balance year by year, making the compounding easy to verify.",
    ],
    grounded=("A>>B", [
        "Response B applies simple interest ($50 × 3); with annual compounding the balance is 1000 × 1.05³ ≈ $1,157.63.",
        "Response B misdefines annual compounding as 5% of the original principal each year.",
        "Response A's year-by-year balances ($1,050, $1,102.50, $1,157.63) make the result easy to check.",
    ], [(1, 1), (2, 1), (0, 0), (3, 1)]),
    surface=("A>B", [
        "Response A shows its working clearly.",
        "Response A uses the standard formula.",
        "Response B is nicely formatted, but less precise.",
        "Response B's emoji is unprofessional.",
    ], [(0, 0), (0, 0), (0, 0), (1, 0.25)]),
    mixed=("A>B", [
        "Response B calculated simple interest instead of compound interest.",
        "Response A's year-by-year balances make the compounding easy to follow.",
        "Response A is clearer.",
        "Response B has a nice summary section.",
    ], [(1, 0.75), (0, 0), (0, 0), (2, 1)]),
)

add(
    "stem", 9, label=2, pref=3,
    context=[user("Why do we have seasons?")],
    r1="""
We have seasons because the Earth's distance from the Sun changes during the year. The Earth's orbit is very elliptical, so in summer we are much closer to the Sun and receive more heat, and in winter we are farther away, which makes it colder. This is also why summer days are longer: being closer to the Sun means it is above the horizon for more of the day.
""",
    r2="""
Seasons come from the tilt of Earth's axis, about 23.4° relative to its orbit, not from changes in distance to the Sun.

As Earth orbits, the axis keeps pointing the same way in space. For part of the year the Northern Hemisphere leans towards the Sun: sunlight hits it more directly, so each square metre receives more energy, and days are longer. That is northern summer. Six months later the Northern Hemisphere leans away, sunlight arrives at a low angle, days are short, and it is winter.

This also explains why the hemispheres have opposite seasons: when it's summer in Europe it's winter in Australia.

Distance matters very little. Earth's orbit is nearly circular, and Earth is actually closest to the Sun in early January, during northern winter.
""",
    human=[
        "Response 1 attributes the seasons to Earth's changing distance from the Sun; they are caused by the 23.4° tilt of Earth's axis.",
        "Response 1 says Earth is closest to the Sun in summer; Earth is closest (perihelion) in early January, during northern winter.",
        "Response 1's explanation cannot account for the two hemispheres having opposite seasons at the same time.",
        "Response 1 calls Earth's orbit 'very elliptical'; it is nearly circular (eccentricity about 0.017).",
        "Response 1 explains longer summer days by closeness to the Sun; day length depends on the axial tilt.",
    ],
    grounded=("B>>A", [
        "Response A wrongly attributes seasons to distance from the Sun; Response B correctly credits the 23.4° axial tilt.",
        "Response A says Earth is closest to the Sun in summer; perihelion is in early January.",
        "Response A's distance explanation cannot explain opposite seasons in the two hemispheres, which Response B addresses.",
        "Response A exaggerates the ellipticity of Earth's orbit, which is nearly circular.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1), (0, 0)]),
    surface=("B>A", [
        "Response B is more detailed and scientific.",
        "Response B is better organised into paragraphs.",
        "Response A is shorter.",
        "Response B gives a real-world example with Europe and Australia.",
    ], [(0, 0), (0, 0), (4, 0.25), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A gives the common misconception that distance causes the seasons.",
        "Response B correctly explains axial tilt.",
        "Response A wrongly says Earth is closest to the Sun in summer.",
        "Response A's explanation of day length is not right.",
    ], [(1, 0.75), (3, 1), (0, 0), (0, 0), (4, 0.5)]),
)

# =================================================================================================== multilingual

add(
    "multilingual", 1, label=1, pref=-2,
    context=[user("¿Cuál es la diferencia entre «ser» y «estar»? Dame algunos ejemplos, por favor.")],
    r1="""
Los dos verbos significan "to be", pero se usan en situaciones distintas.

**Ser** se usa para la identidad y las características que definen algo: profesión, origen, material, la hora y dónde tiene lugar un evento.
- *Soy médico.* / *Ella es de México.* / *La mesa es de madera.* / *Son las tres.* / *La fiesta es en mi casa.*

**Estar** se usa para estados y para la ubicación de personas y cosas.
- *Estoy cansado.* / *El libro está en la mesa.* / *Mi abuelo está muerto.* (aunque sea permanente, la muerte se expresa con estar)

Con algunos adjetivos cambia el significado:
- *Es aburrido* (es una persona que aburre) frente a *está aburrido* (se siente aburrido).
- *Es listo* (es inteligente) frente a *está listo* (está preparado).
""",
    r2="""
¡Es muy fácil! **Ser** se usa para cosas permanentes y **estar** para cosas temporales.

Ejemplos:
1. *Estoy médico.* (profesión)
2. *La fiesta está en mi casa.* (lugar)
3. *Mi abuelo es muerto.* (algo permanente)
4. *Estoy feliz hoy.* (emoción temporal)

«Estar» también sirve para los lugares, como en el ejemplo 2. Si recuerdas esta regla de permanente y temporal, nunca te vas a equivocar. ¡Mucha suerte con tu español!
""",
    human=[
        "Response 2's example 'Estoy médico' is wrong; professions take ser ('Soy médico').",
        "Response 2's 'La fiesta está en mi casa' is wrong; the location of an event takes ser ('La fiesta es en mi casa').",
        "Response 2's 'Mi abuelo es muerto' is wrong; it should be 'está muerto'.",
        "Response 2 reduces the difference to permanent versus temporary and promises it never fails, although its own corrected examples contradict that rule.",
        "Response 2 omits adjectives that change meaning with the verb (es aburrido / está aburrido), which Response 1 explains.",
    ],
    grounded=("A>>B", [
        "Response B's example 'Estoy médico' is incorrect; professions use ser: 'Soy médico'.",
        "Response B writes 'La fiesta está en mi casa', but events take ser: 'La fiesta es en mi casa'.",
        "Response B's 'Mi abuelo es muerto' should be 'está muerto'; Response A gets this exception right.",
        "Response B's permanent/temporary rule is an oversimplification that its own examples break.",
        "Response A explains adjectives that change meaning, such as 'es aburrido' versus 'está aburrido'.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]),
    surface=("A>B", [
        "Response A is more complete.",
        "Response A uses clear bold headings and italic examples.",
        "Response B is encouraging but too simple.",
        "Response A is more accurate.",
    ], [(0, 0), (0, 0), (0, 0), (3, 0.25), (0, 0)]),
    mixed=("A>B", [
        "Response B's example 'Estoy médico' is incorrect.",
        "Response A covers more uses of each verb.",
        "Response B's rule is too simplistic.",
        "Response A is better organised.",
    ], [(1, 1), (0, 0), (0, 0), (3, 0.5), (2, 0.25)]),
)

add(
    "multilingual", 2, label=1, pref=-3,
    context=[user("Bonjour ! Tu peux me donner une recette simple de pâte à crêpes pour 4 personnes ?")],
    r1="""
Bien sûr ! Pour environ 12 crêpes :

- 250 g de farine
- 4 œufs
- 50 cl de lait
- 1 pincée de sel
- 2 cuillères à soupe de sucre
- 50 g de beurre fondu

1. Dans un saladier, mélange la farine, le sel et le sucre, puis creuse un puits.
2. Ajoute les œufs et commence à mélanger au fouet.
3. Verse le lait petit à petit en fouettant, pour éviter les grumeaux.
4. Incorpore le beurre fondu.
5. Laisse reposer la pâte 1 heure à température ambiante.
6. Fais cuire dans une poêle chaude légèrement huilée, environ 1 minute de chaque côté.

Bon appétit !
""",
    r2="""
# Easy Crêpes for 4 🥞

## Ingredients
- 1 cup all-purpose flour
- 2 large eggs
- 1¼ cups milk
- 2 tablespoons melted butter
- 1 tablespoon sugar
- A pinch of salt

## Instructions
1. **Mix** the flour, sugar and salt in a large bowl.
2. **Add** the eggs and pour in all the milk at once, then whisk vigorously.
3. **Stir in** the melted butter.
4. **Heat** a non-stick skillet over medium heat and lightly grease it.
5. **Cook** about ¼ cup of batter per crêpe, swirling the pan to spread it thin, for 1–2 minutes per side.

## Tips
- Serve with Nutella, fresh fruit, or lemon and sugar.
- Leftover crêpes keep in the fridge for 2 days.

Bon appétit! 😊
""",
    human=[
        "Response 2 answers in English although the user wrote in French.",
        "Response 2 gives American cup measures, which a French-speaking user is unlikely to use; Response 1 uses grams and centilitres.",
        "Response 2 says to pour in all the milk at once, which tends to make lumps; Response 1 adds it gradually for that reason.",
        "Response 2 leaves out resting the batter, which Response 1 includes.",
    ],
    grounded=("A>>B", [
        "Response B replies in English to a question asked in French.",
        "Response B uses US cups instead of the metric units a French speaker expects.",
        "Response B adds all the milk at once, which causes lumps; Response A adds it gradually.",
        "Response A includes resting the batter for an hour, which Response B omits.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1)]),
    surface=("B>A", [
        "Response B is well organised with headings and bold action verbs.",
        "Response B adds serving and storage tips.",
        "Response B is more engaging.",
        "Response A is a plain list.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response B is written in English, not French.",
        "Response A is more authentic.",
        "Response B's tips are a nice addition.",
        "Response A uses metric units.",
    ], [(1, 1), (4, 0.5), (0, 0), (0, 0)]),
)

add(
    "multilingual", 3, label=2, pref=3,
    context=[user("Wie groß ist die Fläche eines Kreises mit einem Radius von 5 cm?")],
    r1="""
Die Fläche eines Kreises berechnet man mit der Formel A = 2 · π · r.

Mit r = 5 cm ergibt sich:

A = 2 · 3,14 · 5 cm = 31,4 cm²

Die Fläche des Kreises beträgt also etwa 31,4 cm².

Hinweis: Wenn du ein genaueres Ergebnis brauchst, kannst du statt 3,14 den Wert π ≈ 3,14159 verwenden. Dann erhältst du 31,42 cm².
""",
    r2="""
Die Flächenformel für den Kreis lautet A = π · r².

Mit r = 5 cm:

A = π · (5 cm)² = π · 25 cm² ≈ 78,54 cm²

Die Fläche beträgt also rund 78,5 cm².

Zum Vergleich: Der Umfang desselben Kreises ist U = 2 · π · r ≈ 31,42 cm. Diese beiden Formeln werden oft verwechselt. Ein schneller Test: Die Fläche muss in Quadratzentimetern herauskommen, und nur bei r² wird aus cm · cm auch cm².
""",
    human=[
        "Response 1 uses A = 2πr, which is the formula for the circumference; the area is A = πr².",
        "Response 1's result of 31.4 cm² is wrong; the area is π · 25 ≈ 78.54 cm².",
        "Response 1 gives a length (2πr, in cm) the unit cm², so its units are inconsistent.",
        "Response 2 points out the common mix-up with the circumference and gives a unit check to avoid it.",
    ],
    grounded=("B>>A", [
        "Response A uses the circumference formula 2πr instead of the area formula πr².",
        "Response A's answer of 31.4 cm² is wrong; the area is about 78.54 cm².",
        "Response B explains the mix-up between area and circumference and gives a unit check.",
    ], [(1, 1), (2, 1), (0, 0), (3, 1)]),
    surface=("B>A", [
        "Response B is more thorough.",
        "Response B gives helpful extra context.",
        "Response A is simpler.",
    ], [(0, 0), (0, 0), (0, 0), (2, 0.25)]),
    mixed=("B>A", [
        "Response A uses the wrong formula.",
        "Response B's answer of 78.54 cm² is correct.",
        "Response B is more detailed.",
        "Response A's units do not match its formula.",
    ], [(1, 0.5), (2, 0.5), (4, 0.75), (0, 0)]),
)

add(
    "multilingual", 4, label=1, pref=-1,
    context=[user("请解释一下成语\u201c画蛇添足\u201d的意思和出处。")],
    r1="""
\u201c画蛇添足\u201d出自《战国策·齐策二》。

故事是这样的：楚国有个人祭祀之后，把一壶酒赏给手下的门客。门客们商量说：\u201c这壶酒几个人喝不够，一个人喝还有剩余。我们各自在地上画蛇，谁先画好谁就喝。\u201d有一个人最先画好，他左手拿着酒壶，右手继续画，说：\u201c我还能给蛇添上脚呢！\u201d脚还没画完，另一个人也画好了，夺过酒壶说：\u201c蛇本来就没有脚，你怎么能给它添脚呢？\u201d说完便把酒喝了。

这个成语比喻做了多余的事，非但无益，反而坏事。

例句：他的演讲已经很精彩了，最后加的那段总结真是画蛇添足，让整个演讲更加完美。
""",
    r2="""
\u201c画蛇添足\u201d的意思是做了多余的事情，反而把事情弄糟了。

这个成语出自《庄子》。故事讲的是：几个人比赛画蛇，约定先画完的人可以得到一壶酒。其中一个人最先画完，又给蛇添上了几只脚，大家都称赞他画得生动有趣，于是他赢得了那壶酒。

后来人们就用\u201c画蛇添足\u201d来形容多此一举。

近义词：多此一举
反义词：恰到好处
""",
    human=[
        "Response 2 attributes the idiom to the Zhuangzi; it comes from the Zhanguo Ce (Strategies of the Warring States, Qi ce 2).",
        "Response 2 says the man who added feet was praised and won the wine; in the story he loses the wine, which is the whole point.",
        "Response 2's version of the story contradicts its own explanation that the idiom means spoiling something by overdoing it.",
        "Response 1's example sentence uses the idiom as if the extra part made the speech 'even more perfect', which contradicts its negative meaning.",
    ],
    grounded=("B>A", [
        "Response A's example sentence uses 画蛇添足 with a positive result ('让整个演讲更加完美'), which misuses the idiom; a learner copying it would be misled.",
        "Response B gives the wrong source: the story is from the Zhanguo Ce, not the Zhuangzi.",
        "Response B says the man who added feet won the wine; in the original he loses it.",
        "Response B's story no longer supports the meaning it gives for the idiom.",
        "Response B helpfully lists a synonym and an antonym.",
    ], [(2, 1), (3, 1), (4, 1), (1, 1)],
        "Every human item has a specific counterpart even though the verdict differs from the annotators'."),
    surface=("A>B", [
        "Response A tells the story in more detail.",
        "Response A includes an example sentence.",
        "Response B is shorter but adds synonyms and antonyms.",
        "Response A is more authoritative.",
    ], [(0, 0), (0, 0), (0, 0), (2, 0.25)],
        "S2 merely notes that Response 1 has an example sentence; R4 says that sentence is wrong."),
    mixed=("A>B", [
        "Response A tells the original story correctly.",
        "Response B gets the source wrong.",
        "Response A is more detailed.",
        "Response B's synonym and antonym are useful.",
    ], [(2, 0.75), (1, 0.5), (0, 0), (0, 0)],
        "S1 implies Response 2's version is wrong without saying that the man loses the wine."),
)

add(
    "multilingual", 5, label=1, pref=-3,
    context=[user("東京から大阪まで新幹線でどのくらい時間がかかりますか？")],
    r1="""
東海道新幹線を使う場合、東京駅から新大阪駅までの所要時間は列車の種類によって変わります。

- **のぞみ**：約2時間30分（最も速い列車で2時間20分台）
- **ひかり**：約3時間
- **こだま**：各駅に停車するため約4時間

新幹線は大阪駅ではなく新大阪駅に到着します。大阪駅へはJR京都線（在来線）に乗り換えて1駅、約4分です。

のぞみは本数も多いので、急いでいる場合はのぞみを選ぶのがおすすめです。
""",
    r2="""
東京から大阪までは、新幹線で約4時間かかります。

一番速い列車は「ひかり」です。「のぞみ」は各駅に停まるので、もっと時間がかかります。

新幹線は東京駅を出発して、大阪駅に直接到着するので、乗り換えの必要はありません。とても便利ですよ。切符は駅の窓口や券売機で買えますが、週末や連休は混むので、早めに指定席を予約しておくと安心です。

旅行を楽しんでくださいね！
""",
    human=[
        "Response 2 says the trip takes about 4 hours; the fastest trains (Nozomi) take about 2.5 hours, and only the all-stop Kodama takes about 4.",
        "Response 2 says Hikari is the fastest train; Nozomi is.",
        "Response 2 says Nozomi stops at every station; that describes the Kodama.",
        "Response 2 says the train arrives directly at Osaka Station; the Shinkansen terminates at Shin-Osaka, one stop from Osaka Station.",
    ],
    grounded=("A>>B", [
        "Response B's 4-hour estimate is the Kodama time; the Nozomi takes about 2 hours 30 minutes.",
        "Response B swaps the train types: Nozomi, not Hikari, is the fastest, and it does not stop at every station.",
        "Response B wrongly says the Shinkansen arrives at Osaka Station; it arrives at Shin-Osaka.",
        "Response A explains the transfer from Shin-Osaka to Osaka Station.",
    ], [(1, 1), (2, 1), (2, 0.75), (3, 1)],
        "S2 covers both R2 and R3; both lines name it."),
    surface=("A>B", [
        "Response A is more detailed, with a breakdown by train type.",
        "Response A uses a clear bulleted list.",
        "Response B is friendly but brief.",
    ], [(1, 0.25), (0, 0), (0, 0), (0, 0)]),
    mixed=("A>B", [
        "Response B's travel time is too long.",
        "Response A is more informative.",
        "Response B is wrong about the arrival station.",
        "Response A is well formatted.",
    ], [(1, 0.5), (0, 0), (0, 0), (3, 0.75)]),
)

add(
    "multilingual", 6, label=2, pref=2,
    context=[user("Quanto fica um produto de R$ 80 com 15% de desconto?")],
    r1="""
15% de R$ 80 são R$ 15, então o produto sai por R$ 65.

Um truque rápido para calcular de cabeça: 10% de 80 é R$ 8, e 5% é a metade disso, R$ 4. Somando os dois, você chega ao valor do desconto sem precisar de calculadora. Esse método funciona para qualquer porcentagem que seja múltiplo de 5. Vale conferir o preço final no caixa.
""",
    r2="""
**Desconto:** 80 × 0,15 = **R$ 12,00**

**Preço final:** 80 − 12 = **R$ 68,00**

Você também pode calcular direto o preço com desconto multiplicando por 0,85 (que é 100% − 15%):

80 × 0,85 = R$ 68,00 ✔

**Truque para fazer de cabeça:**
- 10% de 80 = R$ 8
- 5% de 80 = metade de 10% = R$ 4
- 15% = 8 + 4 = R$ 12

Então o produto vai custar **R$ 68,00**.
""",
    human=[
        "Response 1 says 15% of R$80 is R$15; it is R$12.",
        "Response 1's final price of R$65 is wrong; it is R$68.",
        "Response 1's own mental trick (R$8 + R$4) gives R$12, which contradicts its answer, and it never finishes the sum.",
        "Response 2 checks its result a second way by multiplying by 0.85.",
    ],
    grounded=("B>>A", [
        "Response A computes 15% of 80 as R$15; the correct discount is R$12.",
        "Response A's final price of R$65 is therefore wrong; it should be R$68.",
        "Response A's own shortcut (8 + 4) yields R$12, contradicting its answer.",
        "Response B confirms the price with 80 × 0.85 = 68.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1)]),
    surface=("B>A", [
        "Response B is clearly formatted with bold labels.",
        "Response B shows several ways to calculate.",
        "Response A is shorter and less structured.",
    ], [(0, 0), (0, 0), (0, 0), (2, 0.25)]),
    mixed=("A>B", [
        "Response A is concise and gives a useful mental-math trick.",
        "Response B repeats the same calculation several times.",
        "Response A's discount amount may be miscalculated.",
        "Response B uses too much bold formatting.",
    ], [(3, 0.5), (0, 0), (1, 0.25), (0, 0)]),
)

add(
    "multilingual", 7, label=1, pref=-2,
    context=[
        user("Tradúceme al español: \"Dear Ms. Ortega, thank you for your quick reply. I will send the signed contract by Friday. Best regards, Tom\""),
        assistant("Estimada Sra. Ortega:\n\nMuchas gracias por su rápida respuesta. Le enviaré el contrato firmado antes del viernes.\n\nSaludos cordiales,\nTom"),
        user("Ahora hazlo más informal, tuteándola, porque ya nos conocemos bien."),
    ],
    r1="""
Aquí tienes una versión más cercana, con tuteo:

Hola, Lucía:

¡Muchas gracias por tu respuesta tan rápida! Te mando el contrato firmado antes del viernes.

Un abrazo,
Tom

Los cambios principales: "su" pasa a "tu", "Le enviaré" pasa a "Te mando" (el presente suena más natural en un correo informal) y "Saludos cordiales" pasa a "Un abrazo", que es habitual entre personas que se conocen bien. Si prefieres algo un poco menos cariñoso, puedes cerrar con "Un saludo".
""",
    r2="""
¡Claro! Aquí tienes la versión informal, ya cambiada al tuteo:

Querida Sra. Ortega:

Muchas gracias por su rápida respuesta. Le mando el contrato firmado antes del viernes.

Un saludo muy cordial,
Tom

He cambiado "Estimada" por "Querida" y "Saludos cordiales" por "Un saludo muy cordial" para que suene más cercano y amistoso. Así el correo mantiene la educación pero con un tono más relajado.
""",
    human=[
        "Response 2 keeps the usted forms ('su rápida respuesta', 'Le mando'), so it does not use tú as the user asked.",
        "Response 2 claims the text is 'ya cambiada al tuteo', which is false.",
        "Response 2 keeps 'Sra. Ortega', which is too formal for the relaxed tone requested, and 'Querida Sra.' is an odd mix.",
        "Response 1 invents a first name ('Lucía') that the user never gave.",
    ],
    grounded=("B>A", [
        "Response A puts in a first name, 'Lucía', that the user never provided; sending it could address the recipient by the wrong name.",
        "Response B keeps usted forms ('su', 'Le mando') despite the request to use tú.",
        "Response B wrongly claims to have switched to tú.",
        "Response B keeps the formal 'Sra. Ortega'.",
    ], [(2, 1), (3, 1), (4, 0.75), (1, 1)]),
    surface=("A>B", [
        "Response A sounds warmer and more natural.",
        "Response A explains its changes.",
        "Response B is polite but stiff.",
        "Response A offers an alternative closing.",
    ], [(0, 0), (0, 0), (3, 0.25), (0, 0)]),
    mixed=("A>B", [
        "Response B still uses 'su' and 'Le', the formal usted forms.",
        "Response A sounds more natural.",
        "Response A explains its changes clearly.",
        "Response B's greeting is odd.",
    ], [(1, 1), (0, 0), (4, 0.25), (0, 0)]),
)

add(
    "multilingual", 8, label=1, pref=-2,
    context=[user("Warum sagt man „wegen des Wetters\u201c und nicht „wegen dem Wetter\u201c? Ist das zweite falsch?")],
    r1="""
Falsch ist es nicht, aber es gehört zu einer anderen Stilebene.

In der Standardsprache steht „wegen\u201c mit dem Genitiv: „wegen des Wetters\u201c, „wegen des Staus\u201c. Im gesprochenen Deutsch ist der Dativ („wegen dem Wetter\u201c) sehr verbreitet; Wörterbücher wie der Duden kennzeichnen ihn als umgangssprachlich. In formellen Texten wie Bewerbungen oder Hausarbeiten solltest du deshalb den Genitiv verwenden.

Eine Ausnahme gibt es auch in der Standardsprache: Wenn der Genitiv nicht erkennbar ist, etwa bei einem Nomen im Plural ohne Artikel, nimmt man den Dativ: „wegen Unfällen\u201c statt „wegen Unfälle\u201c.

Bei Personalpronomen ist „meinetwegen\u201c, „deinetwegen\u201c die standardsprachliche Form; „wegen mir\u201c ist umgangssprachlich.
""",
    r2="""
## „wegen\u201c + Dativ

Die Präposition „wegen\u201c verlangt **immer den Dativ**. „Wegen des Wetters\u201c ist eine veraltete Form und gilt heute als falsch. Seit der Rechtschreibreform von 2006 ist nur noch der Dativ korrekt.

### Übersicht

| Präposition | Kasus |
|---|---|
| wegen | Dativ |
| trotz | Dativ |
| während | Dativ |
| mit | Dativ |

### Beispiele
- ✅ Wegen dem Regen bleiben wir zu Hause.
- ✅ Trotz dem Stau kamen wir pünktlich.
- ❌ Wegen des Regens bleiben wir zu Hause.

**Fazit:** Verwende nach „wegen\u201c immer den Dativ!
""",
    human=[
        "Response 2 says 'wegen' always takes the dative and the genitive is wrong; in standard German 'wegen' takes the genitive and the dative is colloquial.",
        "Response 2 claims the 2006 spelling reform made the dative the only correct form; the reform did not change case government.",
        "Response 2's table lists 'trotz' and 'während' as dative prepositions; in standard German they take the genitive.",
        "Response 2 marks the correct standard sentence 'Wegen des Regens bleiben wir zu Hause' as wrong.",
        "Response 1 correctly notes the standard exception for plurals without an article ('wegen Unfällen').",
    ],
    grounded=("A>>B", [
        "Response B claims 'wegen' always governs the dative and that the genitive is wrong; standard German uses the genitive, the dative is colloquial.",
        "Response B invents a rule from the 2006 spelling reform; the reform did not address case.",
        "Response B's table wrongly lists 'trotz' and 'während' with the dative.",
        "Response B marks the correct 'Wegen des Regens' as an error.",
        "Response A explains register and the exception for article-less plurals.",
    ], [(1, 1), (2, 1), (3, 1), (4, 1), (5, 0.75)]),
    surface=("B>A", [
        "Response B is clearly structured, with a summary table and examples.",
        "Response B gives a simple, memorable rule.",
        "Response A is long and has no visual structure.",
        "Response B's check marks make correct and incorrect usage easy to see.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
        "S2 and S4 endorse exactly the claims that R1 and R4 identify as errors."),
    mixed=("A>B", [
        "Response B is wrong that the genitive is incorrect.",
        "Response A explains the difference between written and spoken German.",
        "Response A is more nuanced.",
        "Response B's formatting is clear.",
    ], [(1, 0.75), (0, 0), (0, 0), (1, 0.5), (0, 0)],
        "S1 covers R1 and, in part, R4; both lines name S1."),
)

add(
    "multilingual", 9, label=2, pref=3,
    context=[user("Python 里怎么反转一个字符串？")],
    r1="""
用字符串的 reverse() 方法就可以了：

```python
s = "hello"
s.reverse()
print(s)  # olleh
```

reverse() 会直接在原字符串上修改，不需要创建新的对象，所以效率很高，适合处理很长的字符串。

如果你想保留原来的字符串，可以先用 s.copy() 复制一份再调用 reverse()。这个写法在 Python 2 和 Python 3 中都可以使用，也是官方文档推荐的做法。
""",
    r2="""
最常用的方法是切片：

```python
s = "hello"
r = s[::-1]
print(r)  # olleh
```

`[::-1]` 表示步长为 -1，从最后一个字符往前取。

另一种写法是用 `reversed()` 再拼接：

```python
r = "".join(reversed(s))
```

注意：Python 的字符串是不可变的，这两种方法都会返回一个新字符串，原来的 `s` 不会改变。`.reverse()` 是列表（list）的方法，字符串没有这个方法，调用 `s.reverse()` 会报 `AttributeError`。

如果字符串里有 emoji 组合或带附加符号的字符，按码位反转可能会把它们拆开，这种情况需要按字素（grapheme）处理。
""",
    human=[
        "Response 1's `s.reverse()` raises AttributeError: Python strings have no reverse() method.",
        "Response 1 says reverse() modifies the string in place; Python strings are immutable.",
        "Response 1 shows the output 'olleh' for code that actually crashes.",
        "Response 1's efficiency claim for long strings rests on a method that does not exist.",
        "Response 2 explains that `.reverse()` belongs to lists, which is why `s.reverse()` fails.",
        "Response 1's follow-up tip `s.copy()` also fails: str has no copy() method, and the claim that the docs recommend this is invented.",
    ],
    grounded=("B>>A", [
        "Response A's `s.reverse()` raises AttributeError because str has no reverse() method.",
        "Response A says the string is modified in place, but Python strings are immutable.",
        "Response A's shown output 'olleh' is never produced; the code crashes first.",
        "Response B gives two correct approaches, slicing and `''.join(reversed(s))`.",
        "Response B warns about combining characters and emoji sequences.",
    ], [(1, 1), (2, 1), (3, 1), (0, 0), (1, 0.5), (0, 0)],
        "R5 is closest to S1, which is already R1's best match."),
    surface=("B>A", [
        "Response B gives more than one method.",
        "Response B is more comprehensive, including an advanced note about emoji.",
        "Response A is too short.",
    ], [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]),
    mixed=("B>A", [
        "Response A's method does not exist for strings.",
        "Response A claims the string is changed in place, but Python strings are immutable.",
        "Response B includes useful code examples.",
        "Response A is overconfident.",
    ], [(1, 0.75), (2, 1), (0, 0), (4, 0.25), (0, 0), (0, 0)]),
)

# fmt: on

# ======================================================================================================== writing

JUDGE_INTROS = {
    "judge-grounded": "I checked each response against the user's request, including the facts, code and calculations it contains.",
    "judge-surface": "Both responses address the user's request. Comparing their overall quality:",
    "judge-mixed": "Weighing the strengths and weaknesses of the two responses:",
}


def judge_text(model: str, reasons: list[str], verdict: str) -> str:
    lines = [JUDGE_INTROS[model], "", "<RESULT_START>", "Reasons, most important first:"]
    lines += [f"{k}. {reason}" for k, reason in enumerate(reasons, start=1)]
    lines += ["", f"Verdict: \\boxed{{{verdict}}}", "<RESULT_END>"]
    return "\n".join(lines)


def dataset_row(row: dict) -> dict:
    out = {
        key: row[key]
        for key in ("id", "domain", "context", "response1", "response2", "label", "overall_preference")
    }
    out["human-checklist"] = row["human"]
    for model in MODELS:
        verdict, reasons, _matching, *_ = row["models"][model]
        out[f"{model}-checklist"] = reasons
        out[f"{model}-label"] = verdict
        out[f"{model}-generated_text"] = judge_text(model, reasons, verdict)
    return out


PROMPT_TEMPLATE = """You check whether a model's reasons for preferring one of two responses match the reasons expert human annotators gave.
"Response 1" / "Response A" and "Response 2" / "Response B" name the same two responses.

For every human item R1..R{n}, pick the single model item S1..S{m} that best covers it and grade how fully it does:
0 = absent, contradictory, about the other response, or too vague; 0.25 = touches the topic; 0.5 = partly;
0.75 = mostly (a secondary detail is missing); 1.0 = fully, with the same specific evidence.
Agreeing only on which response is better scores 0. Different wording with the same meaning is a match. Write S0 for no match.
(The model's list is cut to its first {cap} reasons.)

Reason briefly, then answer with exactly one line per human item:
<RESULT_START>
Scores corresponding to claims:
- R1@S<j>: <score>
...
<RESULT_END>

Human items:
{human}

Model items:
{model}
"""


def metajudge_prompt(human: list[str], reasons: list[str]) -> str:
    shown = reasons[:CAP]
    return PROMPT_TEMPLATE.format(
        n=len(human),
        m=len(shown),
        cap=CAP,
        human="\n".join(f"R{i}. {item}" for i, item in enumerate(human, start=1)),
        model="\n".join(f"S{j}. {item}" for j, item in enumerate(shown, start=1)),
    )


DEGREE = {
    1.0: "fully covered by",
    0.75: "mostly covered by",
    0.5: "partly covered by",
    0.25: "only touched on by",
}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def evaluator_reasoning(matching: list[tuple[int, float]], n_model: int, note: str | None) -> str:
    matched = [f"R{i} is {DEGREE[float(s)]} S{j}" for i, (j, s) in enumerate(matching, start=1) if j]
    unmatched = [f"R{i}" for i, (j, _s) in enumerate(matching, start=1) if not j]
    sentences = []
    if matched:
        first = "; ".join(matched)
        sentences.append(first[0].upper() + first[1:] + ".")
        if unmatched:
            verb = "has" if len(unmatched) == 1 else "have"
            sentences.append(f"{_join(unmatched)} {verb} no specific counterpart in S1-S{n_model}.")
    else:
        sentences.append(
            f"None of S1-S{n_model} names a specific problem from the human list; general remarks about quality, "
            "length or format, and agreeing on the winner, score 0."
        )
    if note:
        sentences.append(note)
    return " ".join(sentences)


def _score(value: float) -> str:
    return "1.0" if value == 1 else ("0" if value == 0 else f"{value:g}")


# Realistic imperfections in about 10% of the evaluator answers. `rationalerm analyze` (paper mode) accepts the
# first six kinds; the released script's strict regex (reference mode) rejects "no_bullets", "leading_dot" and
# "equals_sign". "missing_line" and "no_tags" are genuinely malformed and count as parse failures in both modes.
QUIRKS = {
    ("demo-general-003", "judge-grounded"): "bold_header",
    ("demo-code-005", "judge-mixed"): "bold_header",
    ("demo-stem-004", "judge-surface"): "bold_header",
    ("demo-multilingual-002", "judge-grounded"): "bold_header",
    ("demo-code-001", "judge-mixed"): "trailing_prose",
    ("demo-stem-007", "judge-grounded"): "no_bullets",
    ("demo-multilingual-003", "judge-mixed"): "leading_dot",
    ("demo-general-006", "judge-surface"): "equals_sign",
    ("demo-general-007", "judge-surface"): "missing_line",
    ("demo-code-006", "judge-mixed"): "no_tags",
}
TRAILING_PROSE = "\n\nNote: S1 describes R1's bug exactly, but about the wrong response; had it named Response A it would have scored 1.0."


def evaluator_answer(row_id: str, model: str, matching, n_model: int, note: str | None) -> str:
    quirk = QUIRKS.get((row_id, model))
    lines = []
    for i, (j, s) in enumerate(matching, start=1):
        if quirk == "missing_line" and i == len(matching):
            continue
        bullet = "" if quirk == "no_bullets" else "- "
        sep = " =" if quirk == "equals_sign" and i == 1 else ":"
        value = ".5" if quirk == "leading_dot" and s == 0.5 else _score(s)
        lines.append(f"{bullet}R{i}@S{j}{sep} {value}")
    header = (
        "**Scores corresponding to claims:**" if quirk == "bold_header" else "Scores corresponding to claims:"
    )
    body = "\n".join([header, *lines])
    reasoning = evaluator_reasoning(matching, n_model, note)
    if quirk == "no_tags":
        return f"{reasoning}\n\n{body}"
    text = f"{reasoning}\n<RESULT_START>\n{body}\n<RESULT_END>"
    if quirk == "trailing_prose":
        text += TRAILING_PROSE
    return text


def metajudge_lines(row: dict) -> list[dict]:
    full = dataset_row(row)
    human_keys = [k for k in full if not any(k.startswith(m) for m in MODELS)]
    out = []
    for model in MODELS:
        _verdict, reasons, matching, *rest = row["models"][model]
        note = rest[0] if rest else None
        prompt = metajudge_prompt(row["human"], reasons)
        text = evaluator_answer(row["id"], model, matching, min(len(reasons), CAP), note)
        metadata = {k: full[k] for k in human_keys}
        for suffix in ("-checklist", "-label", "-generated_text"):
            metadata[model + suffix] = full[model + suffix]
        prompt_tokens, completion_tokens = len(prompt) // 4, len(text) // 4
        out.append(
            {
                "prompt": prompt,
                "samples": [
                    {
                        "generated_text": text,
                        "finish_reason": "stop",
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": completion_tokens,
                            "total_tokens": prompt_tokens + completion_tokens,
                        },
                    }
                ],
                "status": "success",
                "metadata": metadata,
            }
        )
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


# ========================================================================================================= checks

ALLOWED_SCORES = {0, 0.25, 0.5, 0.75, 1.0}
VERDICT_SIDE = {"A>>B": 1, "A>B": 1, "B>A": 2, "B>>A": 2}


def word_count(text: str) -> int:
    """Whitespace words, with Chinese and Japanese characters counted as about two per word."""
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text))
    latin = len(re.sub(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]", " ", text).split())
    return latin + cjk // 2


def check_source() -> list[str]:
    """Consistency of the Python content itself."""
    problems = []
    ids = [r["id"] for r in ROWS]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    for r in ROWS:
        rid = r["id"]
        if not 3 <= len(r["human"]) <= 7:
            problems.append(f"{rid}: {len(r['human'])} human items")
        if (r["label"] == 1) != (r["overall_preference"] < 0) or r["overall_preference"] == 0:
            problems.append(f"{rid}: label and overall_preference disagree")
        for key in ("response1", "response2"):
            words = word_count(r[key])
            if not 60 <= words <= 250:
                problems.append(f"{rid}: {key} has {words} words")
        for model, (verdict, reasons, matching, *_rest) in r["models"].items():
            if verdict not in VERDICT_SIDE:
                problems.append(f"{rid} {model}: verdict {verdict!r}")
            if not 3 <= len(reasons) <= 6:
                problems.append(f"{rid} {model}: {len(reasons)} reasons")
            if len(matching) != len(r["human"]):
                problems.append(
                    f"{rid} {model}: {len(matching)} matching entries for {len(r['human'])} human items"
                )
            for j, s in matching:
                if s not in ALLOWED_SCORES or (j == 0) != (s == 0) or not 0 <= j <= min(len(reasons), CAP):
                    problems.append(f"{rid} {model}: bad matching entry ({j}, {s})")
    return problems


def check_files() -> list[str]:
    """Re-read both files and report what a new user would look at."""
    problems = []
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    lines = [json.loads(line) for line in METAJUDGE.read_text(encoding="utf-8").splitlines()]
    required = ["id", "domain", "context", "response1", "response2", "label", "human-checklist"]
    for m in MODELS:
        required += [f"{m}-checklist", f"{m}-label", f"{m}-generated_text"]
    for row in rows:
        missing = [k for k in required if k not in row]
        if missing:
            problems.append(f"{row.get('id')}: missing {missing}")
    print(f"{DATASET.name}: {len(rows)} rows")
    print("  domains:", dict(Counter(r["domain"] for r in rows)))
    print("  labels:", dict(Counter(r["label"] for r in rows)))
    sizes = [len(r["human-checklist"]) for r in rows]
    print(f"  human items: mean {sum(sizes) / len(sizes):.2f}, sizes {dict(sorted(Counter(sizes).items()))}")
    for m in MODELS:
        correct = sum(VERDICT_SIDE[r[f"{m}-label"]] == r["label"] for r in rows)
        lengths = Counter(len(r[f"{m}-checklist"]) for r in rows)
        print(
            f"  {m:15s} outcome accuracy {correct}/{len(rows)} = {correct / len(rows):.3f}; reasons {dict(sorted(lengths.items()))}"
        )
    print(f"{METAJUDGE.name}: {len(lines)} lines")
    if len(lines) != len(MODELS) * len(rows):
        problems.append(f"expected {len(MODELS) * len(rows)} MetaJudge lines, got {len(lines)}")
    for line in lines:
        meta = line["metadata"]
        models = [
            k[: -len("-checklist")] for k in meta if k.endswith("-checklist") and k != "human-checklist"
        ]
        if len(models) != 1:
            problems.append(f"{meta['id']}: metadata holds models {models}")
    return problems


def main(argv: list[str]) -> int:
    problems = check_source()
    if "--check" not in argv:
        write_jsonl(DATASET, [dataset_row(r) for r in ROWS])
        write_jsonl(METAJUDGE, [line for r in ROWS for line in metajudge_lines(r)])
    problems += check_files()
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
