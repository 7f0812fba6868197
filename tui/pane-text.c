/*
 * pane-text.c — a scrollable pane of text: details, command output, help.
 *
 * Command output is often a function's (an invocation's result, `vm
 * console`, `fn logs` through ':'), which child hearths pass on as they
 * got it: the pane escapes every line before it reaches the screen.
 * Long lines wrap at a space, not at the edge, and go on under where
 * their text began (help's descriptions under descriptions), so nothing
 * is cut at a narrow terminal; scrolling is by screen rows.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* A screen row of the wrapped text: a piece of one line. */
struct text_row {
	int	 line;		/* which line */
	int	 off;		/* its first byte here */
	int	 len;		/* bytes shown */
	int	 indent;	/* columns before them (a continued line) */
};

struct text {
	char		**lines;	/* the text, split */
	int		  n;		/* how many */
	struct text_row	 *rows;		/* the lines wrapped at width */
	int		  nrows;	/* how many rows */
	int		  width;	/* the width rows were made for, 0 none */
	int		  top;		/* first row shown */
	int		  height;	/* rows it had when last drawn */
};

static void
text_clear(struct text *x)
{
	int	i;

	for (i = 0; i < x->n; i++)
		free(x->lines[i]);
	free(x->lines);
	x->lines = NULL;
	x->n = 0;
	free(x->rows);
	x->rows = NULL;
	x->nrows = 0;
	x->width = 0;
	x->top = 0;
}

/*
 * Where a wrapped line goes on: after the last gap of two spaces or more
 * in its first half (help's KEY  ACTION  description), else under its
 * own indentation.
 */
static int
text_hang(const char *s, int len, int w)
{
	int	i, hang = 0;

	while (hang < len && s[hang] == ' ')
		hang++;
	for (i = hang; i + 2 < len && i < w / 2; i++)
		if (s[i] == ' ' && s[i + 1] == ' ') {
			while (i < len && s[i] == ' ')
				i++;
			hang = i;
		}
	return hang < w / 2 ? hang : 0;
}

static void
text_addrow(struct text *x, int line, int off, int len, int indent)
{
	x->rows = xrealloc(x->rows, sizeof *x->rows * (x->nrows + 1));
	x->rows[x->nrows].line = line;
	x->rows[x->nrows].off = off;
	x->rows[x->nrows].len = len;
	x->rows[x->nrows++].indent = indent;
}

/* Wrap the lines into rows of width w, at a space where there is one. */
static void
text_layout(struct text *x, int w)
{
	const char	*s;
	int		 i, off, len, avail, cut, hang, indent;

	free(x->rows);
	x->rows = NULL;
	x->nrows = 0;
	x->width = w;
	for (i = 0; i < x->n; i++) {
		s = x->lines[i];
		len = (int)strlen(s);
		hang = text_hang(s, len, w);
		for (off = 0, indent = 0;;) {
			avail = w - indent;
			if (len - off <= avail || avail < 8) {
				text_addrow(x, i, off, len - off, indent);
				break;
			}
			for (cut = off + avail; cut > off && s[cut] != ' '; cut--)
				;
			if (cut == off)
				cut = off + avail;	/* one long word */
			text_addrow(x, i, off, cut - off, indent);
			for (off = cut; off < len && s[off] == ' '; off++)
				;
			if (off >= len)
				break;
			indent = hang;
		}
	}
}

/*
 * Replace the pane's text, a line at a time escaped for the terminal
 * (a line's CRLF ending counts as its end: serial consoles write them).
 */
static void
pane_text_set(struct tui_pane *p, const char *s)
{
	struct text	*x = p->data;
	struct buf	 b;
	const char	*nl;
	size_t		 len;

	text_clear(x);
	while (*s != '\0') {
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		memset(&b, 0, sizeof b);
		esc_term(&b, s, len, ESC_NL | ESC_DETAB);
		x->lines = xrealloc(x->lines, sizeof *x->lines * (x->n + 1));
		x->lines[x->n++] = b.data;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

static void
text_draw(struct tui *t, struct tui_pane *p, int y, int x0, int h, int w)
{
	struct text	*x = p->data;
	struct text_row	*r;
	int		 i;

	if (w <= 0)
		return;
	if (w != x->width)
		text_layout(x, w);
	x->height = h;
	if (x->top > x->nrows - h)
		x->top = x->nrows - h > 0 ? x->nrows - h : 0;
	for (i = 0; i < h && x->top + i < x->nrows; i++) {
		r = &x->rows[x->top + i];
		move(y + i, x0 + r->indent);
		addnstr(x->lines[r->line] + r->off, r->len);
	}
}

static int
text_key(struct tui *t, struct tui_pane *p, int ch)
{
	struct text	*x = p->data;
	int		 page = x->height > 1 ? x->height - 1 : 1, max;

	max = x->nrows - x->height > 0 ? x->nrows - x->height : 0;
	switch (ch) {
	case 'j': case KEY_DOWN: x->top++; break;
	case 'k': case KEY_UP: x->top--; break;
	case KEY_NPAGE: case ' ': x->top += page; break;
	case KEY_PPAGE: x->top -= page; break;
	case 'g': case KEY_HOME: x->top = 0; break;
	case 'G': case KEY_END: x->top = max; break;
	default: return 0;
	}
	if (x->top > max)
		x->top = max;
	if (x->top < 0)
		x->top = 0;
	return TUI_HANDLED | TUI_REDRAW;
}

static void
text_free(struct tui_pane *p)
{
	text_clear(p->data);
	free(p->data);
}

static const struct tui_pane_ops text_ops = {
	"text", NULL, text_draw, text_key, text_free
};

struct tui_pane *
pane_text_new(const char *title, const char *s)
{
	struct tui_pane	*p = xcalloc(1, sizeof *p);

	p->ops = &text_ops;
	p->title = xstrdup(title);
	p->data = xcalloc(1, sizeof(struct text));
	pane_text_set(p, s);
	return p;
}
