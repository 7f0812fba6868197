/*
 * test-out.c — output formatting: JSON escaping, tables as text and JSON.
 */
#include <stdlib.h>

#include "hearth.h"
#include "check.h"

static const struct out_col cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "n", "N", OUT_INT },
	{ "env", "ENV", OUT_JSONRAW },
};

static char *
render(struct out_table *t, enum out_format fmt, int single)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&s, &len);

	out_table_print(t, fmt, f, single);
	fclose(f);
	return s;
}

int
main(void)
{
	struct buf		 b = { 0 };
	struct out_table	*t;
	char			*s;

	out_json_string(&b, "a\"b\\c\nd\te\x01");
	CHECK_STR("json-1.1", b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	buf_free(&b);

	t = out_table_new(cols, 3);
	out_table_row(t);
	out_table_str(t, "hello");
	out_table_int(t, 42);
	out_table_json(t, "{\"A\":\"1\"}");
	out_table_row(t);
	out_table_str(t, "x");
	out_table_int(t, -1);
	out_table_json(t, "{}");
	s = render(t, OUT_TEXT, 0);
	CHECK_STR("table-1.1", s, "NAME   N   ENV\nhello  42  {\"A\":\"1\"}\nx      -1  {}\n");
	free(s);
	s = render(t, OUT_JSON, 0);
	CHECK_STR("table-1.2", s, "[\n  {\"name\": \"hello\", \"n\": 42, \"env\": {\"A\": \"1\"}},"
	    "\n  {\"name\": \"x\", \"n\": -1, \"env\": {}}\n]\n");
	free(s);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("table-1.3", s, "{\"name\": \"hello\", \"n\": 42, \"env\": {\"A\": \"1\"}}\n");
	free(s);
	s = render(t, OUT_TEXT, 1);
	CHECK_STR("table-1.4", s, "NAME: hello\nN:    42\nENV:  {\"A\":\"1\"}\n");
	free(s);
	out_table_free(t);

	t = out_table_new(cols, 3);
	s = render(t, OUT_JSON, 0);
	CHECK_STR("table-2.1", s, "[]\n");
	free(s);
	out_table_free(t);

	/* Cells from an instance: escaped in text, strict in JSON. */
	t = out_table_new(cols, 3);
	out_table_row(t);
	out_table_str(t, "\x1b]0;t\x07\n\xff\xe2\x80\xae");
	out_table_int(t, 1);
	out_table_json(t, "{\"a\":\"\x1b\"}");
	s = render(t, OUT_TEXT, 0);
	CHECK_STR("table-3.1", s, "NAME                      N  ENV\n"
	    "\\x1b]0;t\\x07\\n\\xff\\u202e  1  {\"a\":\"\\x1b\"}\n");
	free(s);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("table-3.2", s, "{\"name\": \"\\u001b]0;t\\u0007\\n\xef\xbf\xbd\\u202e\", "
	    "\"n\": 1, \"env\": \"{\\\"a\\\":\\\"\\u001b\\\"}\"}\n");
	free(s);
	out_table_free(t);
	CHECK_DONE();
}
