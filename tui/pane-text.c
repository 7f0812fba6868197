/*
 * pane-text.c — a scrollable pane of text: details, command output, help.
 *
 * Command output is often a function's (an invocation's result, `vm
 * console`, `fn logs` through ':'), which child hearths pass on as they
 * got it: the pane escapes every line before it reaches the screen.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct text {
	char	**lines;	/* the text, split */
	int	  n;		/* how many */
	int	  top;		/* first line shown */
	int	  height;	/* rows it had when last drawn */
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
	x->top = 0;
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
	int		 i;

	x->height = h;
	for (i = 0; i < h && x->top + i < x->n; i++) {
		move(y + i, x0);
		addnstr(x->lines[x->top + i], w);
	}
}

static int
text_key(struct tui *t, struct tui_pane *p, int ch)
{
	struct text	*x = p->data;
	int		 page = x->height > 1 ? x->height - 1 : 1, max;

	max = x->n - x->height > 0 ? x->n - x->height : 0;
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
