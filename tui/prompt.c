/*
 * prompt.c — the one-line editor on the bottom row.
 *
 * Five uses: ':' commands (Tab completes from the command table), '/'
 * filters (applied as they are typed), searches, payloads, and questions
 * (a name).  Enter hands the text to the callback; Esc abandons it.
 * Commands, filters, searches and payloads each keep a history: a prompt
 * opens empty, as in less, vim and k9s (an empty answer is the default
 * its label names), and Up recalls what was typed before.
 * A yes/no question (PROMPT_KEY) is not a line at all: one key answers
 * it — y yes, n, Esc or Enter no — as k9s asks before deleting, so no
 * key typed after the answer lands in a prompt.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct tui_prompt {
	enum tui_prompt_kind kind;	/* what the text is for */
	char		*label;		/* shown before the text */
	struct buf	 text;		/* being edited */
	size_t		 cursor;	/* byte offset in text */
	int		 hist;		/* history position, -1 = new line */
	void		(*done)(struct tui *t, const char *text,
			    void *arg);	/* gets the text (filters: live) */
	void		*arg;		/* for done */
	char		**cands;	/* what Tab could not choose between,
					   listed above the line; or NULL */
	int		 ncands;	/* how many */
};

#define PROMPT_HISTORY 100
/* What was typed at one kind of prompt, newest last. */
struct prompt_hist {
	char	*lines[PROMPT_HISTORY];	/* the lines */
	int	 n;			/* how many */
};
static struct prompt_hist prompt_hists[PROMPT_KEY + 1];	/* by kind */

/* The history kept for prompts of kind, or NULL (questions keep none). */
static struct prompt_hist *
prompt_hist_of(enum tui_prompt_kind kind)
{
	if (kind == PROMPT_COMMAND || kind == PROMPT_FILTER ||
	    kind == PROMPT_SEARCH || kind == PROMPT_PAYLOAD)
		return &prompt_hists[kind];
	return NULL;
}

static void
prompt_remember(enum tui_prompt_kind kind, const char *line)
{
	struct prompt_hist	*h = prompt_hist_of(kind);

	if (h == NULL || *line == '\0' || (h->n > 0 &&
	    strcmp(h->lines[h->n - 1], line) == 0))
		return;
	if (h->n == PROMPT_HISTORY) {
		free(h->lines[0]);
		memmove(h->lines, h->lines + 1,
		    sizeof *h->lines * (PROMPT_HISTORY - 1));
		h->n--;
	}
	h->lines[h->n++] = xstrdup(line);
}

static void
prompt_set(struct tui_prompt *p, const char *s)
{
	p->text.len = 0;
	buf_addstr(&p->text, s);
	p->cursor = p->text.len;
}

/* Open a prompt; done gets the text on Enter (and, for filters, as typed). */
void
tui_prompt_open(struct tui *t, enum tui_prompt_kind kind, const char *label,
    const char *initial, void (*done)(struct tui *, const char *, void *),
    void *arg)
{
	struct tui_prompt	*p = xcalloc(1, sizeof *p);

	p->kind = kind;
	p->label = xstrdup(label);
	p->done = done;
	p->arg = arg;
	p->hist = -1;
	prompt_set(p, initial != NULL ? initial : "");
	t->prompt = p;
	t->dirty = 1;
}

/* Forget the listed candidates: any key but Tab takes the list away. */
static void
prompt_uncands(struct tui_prompt *p)
{
	util_free_argv(p->ncands, p->cands);
	p->cands = NULL;
	p->ncands = 0;
}

static void
prompt_close(struct tui *t)
{
	struct tui_prompt	*p = t->prompt;

	prompt_uncands(p);
	t->prompt = NULL;
	buf_free(&p->text);
	free(p->label);
	free(p);
	t->dirty = 1;
}

/*
 * Complete the word before the cursor from the command table, as
 * readline does: Tab inserts what every candidate shares (and a space
 * when there is one), and a Tab that can add nothing lists the
 * candidates, on the row above the line.
 */
static void
prompt_complete(struct tui *t, struct tui_prompt *p)
{
	char	*before, **argv, **cands, *cause = NULL, *word;
	int	 argc, n, i;
	size_t	 start, common;

	before = xstrndup(p->text.data, p->cursor);
	start = strlen(before);
	while (start > 0 && before[start - 1] != ' ')
		start--;
	word = xstrdup(before + start);
	before[start] = '\0';
	if (util_split(before, &argc, &argv, &cause) != 0) {
		free(cause);
		free(before);
		free(word);
		return;
	}
	cands = complete_words(t->st, argc, argv, word, &n);
	if (n > 0) {
		common = strlen(cands[0]);
		for (i = 1; i < n; i++)
			while (common > 0 && strncmp(cands[0], cands[i], common) != 0)
				common--;
		if (common > strlen(word)) {
			struct buf nb = { 0 };

			buf_add(&nb, p->text.data, start);
			buf_add(&nb, cands[0], common);
			if (n == 1)
				buf_addstr(&nb, " ");
			buf_addstr(&nb, p->text.data + p->cursor);
			p->cursor = start + common + (n == 1);
			p->text.len = 0;
			buf_add(&p->text, nb.data, nb.len);
			buf_free(&nb);
		} else if (n > 1) {
			/*
			 * The status line is under the prompt while it is
			 * open: the list goes where readline puts it, above.
			 */
			prompt_uncands(p);
			p->cands = cands;
			p->ncands = n;
			cands = NULL;
			n = 0;
		}
	}
	util_free_argv(n, cands);
	util_free_argv(argc, argv);
	free(before);
	free(word);
}

/* Handle a key while the prompt is open; always consumes it. */
int
tui_prompt_key(struct tui *t, int ch)
{
	struct tui_prompt	*p = t->prompt;
	struct prompt_hist	*h = prompt_hist_of(p->kind);
	char			*text;
	void			(*done)(struct tui *, const char *, void *);
	void			*arg;
	size_t			 s;

	if (ch != '\t')
		prompt_uncands(p);
	if (p->kind == PROMPT_KEY) {
		/* One key answers; any other is ignored, the question stays. */
		if (ch != 'y' && ch != 'Y' && ch != 'n' && ch != 'N' && ch != 27 &&
		    ch != '\n' && ch != '\r' && ch != KEY_ENTER)
			return TUI_HANDLED;
		done = p->done;
		arg = p->arg;
		prompt_close(t);
		done(t, ch == 'y' || ch == 'Y' ? "y" : "n", arg);
		return TUI_HANDLED | TUI_REDRAW;
	}
	switch (ch) {
	case 27:		/* Esc */
		if (p->kind == PROMPT_FILTER)
			p->done(t, "", p->arg);
		prompt_close(t);
		return TUI_HANDLED | TUI_REDRAW;
	case '\n': case '\r': case KEY_ENTER:
		text = xstrdup(p->text.data);
		done = p->done;
		arg = p->arg;
		prompt_remember(p->kind, text);
		prompt_close(t);
		done(t, text, arg);
		free(text);
		return TUI_HANDLED | TUI_REDRAW;
	case KEY_BACKSPACE: case 127: case 8:
		if (p->cursor > 0) {
			memmove(p->text.data + p->cursor - 1, p->text.data + p->cursor,
			    p->text.len - p->cursor + 1);
			p->cursor--;
			p->text.len--;
		} else if (p->text.len == 0) {
			prompt_close(t);	/* backspace on empty leaves */
			return TUI_HANDLED | TUI_REDRAW;
		}
		break;
	case KEY_DC:
		if (p->cursor < p->text.len) {
			memmove(p->text.data + p->cursor, p->text.data + p->cursor + 1,
			    p->text.len - p->cursor);
			p->text.len--;
		}
		break;
	case KEY_LEFT:
		if (p->cursor > 0)
			p->cursor--;
		break;
	case KEY_RIGHT:
		if (p->cursor < p->text.len)
			p->cursor++;
		break;
	case KEY_HOME: case 1:	/* C-a */
		p->cursor = 0;
		break;
	case KEY_END: case 5:	/* C-e */
		p->cursor = p->text.len;
		break;
	case 21:		/* C-u */
		memmove(p->text.data, p->text.data + p->cursor,
		    p->text.len - p->cursor + 1);
		p->text.len -= p->cursor;
		p->cursor = 0;
		break;
	case 23:		/* C-w */
		s = p->cursor;
		while (s > 0 && p->text.data[s - 1] == ' ')
			s--;
		while (s > 0 && p->text.data[s - 1] != ' ')
			s--;
		memmove(p->text.data + s, p->text.data + p->cursor,
		    p->text.len - p->cursor + 1);
		p->text.len -= p->cursor - s;
		p->cursor = s;
		break;
	case '\t':
		if (p->kind == PROMPT_COMMAND)
			prompt_complete(t, p);
		break;
	case KEY_UP: case KEY_DOWN:
		if (h == NULL || h->n == 0)
			break;
		if (ch == KEY_UP)
			p->hist = p->hist == -1 ? h->n - 1 :
			    (p->hist > 0 ? p->hist - 1 : 0);
		else if (p->hist != -1)
			p->hist = p->hist + 1 < h->n ? p->hist + 1 : -1;
		prompt_set(p, p->hist == -1 ? "" : h->lines[p->hist]);
		break;
	default:
		if (ch >= 32 && ch < 256 && ch != 127) {
			char c = (char)ch;
			struct buf nb = { 0 };

			buf_add(&nb, p->text.data, p->cursor);
			buf_add(&nb, &c, 1);
			buf_addstr(&nb, p->text.data + p->cursor);
			p->text.len = 0;
			buf_add(&p->text, nb.data, nb.len);
			buf_free(&nb);
			p->cursor++;
		}
		break;
	}
	if (p->kind == PROMPT_FILTER)
		p->done(t, p->text.data, p->arg);	/* live */
	return TUI_HANDLED | TUI_REDRAW;
}

/*
 * List the candidates Tab could not choose between on row y, as many as
 * fit in w columns, then how many more there are.
 */
static void
prompt_draw_cands(struct tui *t, struct tui_prompt *p, int y, int w)
{
	struct buf	 b = { 0 };
	char		 more[32];
	int		 i;
	size_t		 len;

	for (i = 0; i < p->ncands; i++) {
		snprintf(more, sizeof more, "  (+%d more)", p->ncands - i - 1);
		len = b.len + (i > 0 ? 2 : 0) + strlen(p->cands[i]) +
		    (i + 1 < p->ncands ? strlen(more) : 0);
		if (len > (size_t)w)
			break;
		buf_printf(&b, "%s%s", i > 0 ? "  " : "", p->cands[i]);
	}
	if (i < p->ncands)
		buf_printf(&b, "%s(+%d more)", i > 0 ? "  " : "", p->ncands - i);
	move(y, 0);
	clrtoeol();
	attron(tui_attr_title(t));
	addnstr(b.data, w);
	attroff(tui_attr_title(t));
	buf_free(&b);
}

/* Draw the prompt on row y, width w, and place the cursor. */
void
tui_prompt_draw(struct tui *t, int y, int w)
{
	struct tui_prompt	*p = t->prompt;
	int			 lw = (int)strlen(p->label), off = 0;

	if (p->ncands > 0 && y > 1)
		prompt_draw_cands(t, p, y - 1, w);
	move(y, 0);
	clrtoeol();
	attron(tui_attr_title(t));
	addnstr(p->label, w);
	attroff(tui_attr_title(t));
	if ((int)p->cursor > w - lw - 2)
		off = (int)p->cursor - (w - lw - 2);
	addnstr(p->text.data + off, w - lw - 1 > 0 ? w - lw - 1 : 0);
	move(y, lw + (int)p->cursor - off);
	curs_set(1);
}
