"""Hand-written pages for the clean tests (written for this project, not copied from anywhere)."""

STORY = [
    ("The harbour authority of Port Ellis voted on Tuesday to close the old ferry terminal by the "
    "end of the year, ending more than a century of passenger crossings from the town."),
    ("Council members said the decision followed three years of falling ticket sales and a "
    "structural survey that found the pier would need repairs costing far more than the service "
    "earns in a decade."),
    ("Residents who rely on the crossing to reach the hospital on the mainland have asked for a "
    "replacement bus link, and the council said it would publish a plan for one before the summer."),
    ("The terminal building itself will be kept, and local groups have proposed turning it into a "
    "market hall with space for fishing boats to land their catch directly on the quay."),
    ("“We know this is a hard day for many families who have used the ferry all their lives,” the "
    "chair of the authority, Maren Holt, told a packed public meeting in the town hall."),
]

NAV = ["Home", "World", "Business", "Sport", "Weather", "Opinion"]
RELATED = [
    "Fishing fleet returns early as storms close in on the coast",
    "New lifeboat station opens after record fundraising appeal",
    "Town hall clock restored to working order by volunteers",
]
COMMENTS = [
    "I took that ferry every Sunday as a child and I will miss it terribly, what a shame it is.",
    "About time the council spent the money on something that people actually use every day.",
]
AUTHOR_BIO = ("Jonas Brekke has covered the coast and its towns for the Gazette since 2009 and "
              "writes about transport, fishing and local politics.")
CAPTION = "The old ferry terminal at Port Ellis, photographed at dawn."


def article_html(*, lang_attr: str = ' lang="en-GB"', extra_head: str = "") -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in STORY[:2])
    paras2 = "\n".join(f"<p>{p}</p>" for p in STORY[2:])
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV)
    related = "".join(f'<li><a href="/r{i}">{t}</a></li>' for i, t in enumerate(RELATED))
    comments = "".join(
        f'<li class="comment"><span class="comment-author">Reader {i}</span>'
        f'<p>{c}</p><a href="#" class="reply">Reply</a></li>' for i, c in enumerate(COMMENTS))
    return f"""<!DOCTYPE html>
<html{lang_attr}>
<head>
<meta charset="utf-8">
<title>Port Ellis ferry terminal to close after 120 years | The Coast Gazette</title>
<meta property="og:title" content="Port Ellis ferry terminal to close after 120 years">
<meta property="og:site_name" content="The Coast Gazette">
<meta property="og:image" content="https://gazette.example/img/ferry-terminal.jpg">
<meta property="og:url" content="https://gazette.example/news/port-ellis-ferry">
<meta name="author" content="Jonas Brekke">
<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">
<link rel="canonical" href="https://gazette.example/news/port-ellis-ferry">
{extra_head}
<script>window.analytics = {{track: function() {{}}}};</script>
<style>.cookie-banner {{position: fixed}}</style>
</head>
<body>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience on our
site. By continuing you accept our cookie policy. <button>Accept all cookies</button></div>
<header class="site-header"><a href="/" class="logo">The Coast Gazette</a>
<nav class="main-nav"><ul>{nav}</ul></nav></header>
<main>
<article class="post">
<h1>Port Ellis ferry terminal to close after 120 years</h1>
<div class="byline">By <a rel="author" href="/authors/jonas-brekke">Jonas Brekke</a>,
<time datetime="2024-03-05T09:30:00+00:00">5 March 2024</time></div>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a>
<a href="#">Email this article</a></div>
<div class="entry-content">
<figure><img src="/img/ferry-terminal.jpg" alt=""><figcaption>{CAPTION}</figcaption></figure>
{paras}
<div class="newsletter-signup"><p>Subscribe to our daily newsletter for the latest coastal news.</p>
<form><input type="email"><button>Sign up</button></form></div>
{paras2}
</div>
<div class="author-box"><h4>Jonas Brekke</h4><p>{AUTHOR_BIO}</p></div>
</article>
<aside class="related-posts"><h3>Related stories</h3><ul>{related}</ul></aside>
<section id="comments" class="comments"><h3>2 comments</h3><ol>{comments}</ol>
<h3>Leave a reply</h3><form><textarea></textarea></form></section>
</main>
<footer class="site-footer"><p>© 2024 The Coast Gazette. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
</footer>
</body>
</html>"""


def article_text() -> str:
    """The same story as a scraper that strips tags would send it."""
    lines = [
        "The Coast Gazette",
        "", *NAV, "",
        "We use cookies to improve your experience on our site. Accept all cookies",
        "",
        "Port Ellis ferry terminal to close after 120 years",
        "",
        "By Jonas Brekke",
        "5 March 2024",
        "Share on Facebook",
        "Share on Twitter",
        "",
    ]
    for p in STORY:
        lines += [p, ""]
    lines += [
        "xQzWvbNtrk",
        "Jonas Brekke",
        "",
        AUTHOR_BIO,
        "",
        "Related Posts",
        "",
    ]
    for i, t in enumerate(RELATED):
        lines += [t, "", f"{i + 2} days ago", ""]
    lines += ["2 Comments", ""]
    for c in COMMENTS:
        lines += ["Reader", "3 hours ago", c, "Reply", ""]
    lines += ["© 2024 The Coast Gazette. All rights reserved.", "Privacy policy", "Terms of use"]
    return "\n".join(lines)
