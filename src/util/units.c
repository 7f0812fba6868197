/*
 * units.c — a figure as text shows it, with its unit.
 *
 * Every size and duration a person reads carries its unit, written the
 * same way wherever it is shown (a command's table, the console): the
 * number, then the unit with no space — 128MiB, 3s, 394B, 20ms for whole
 * numbers; measured ones with two decimals (20.41ms), except MiB with one
 * (318.9MiB), which is as precise as a memory figure is worth reading.
 * An unknown figure (NaN, infinity) is "-".  JSON keeps bare numbers in
 * the unit its field's name says; that is out.c's business, not this.
 */
#include <math.h>
#include <string.h>

#include "util.h"

/* A whole number with its unit ("" for none): "128MiB". */
char *
util_unit_int(long long v, const char *unit)
{
	return xasprintf("%lld%s", v, unit != NULL ? unit : "");
}

/* A measured number with its unit: "318.9MiB", "20.41ms"; "-" if unknown. */
char *
util_unit_num(double v, const char *unit)
{
	if (unit == NULL)
		unit = "";
	if (!isfinite(v))
		return xstrdup("-");
	return xasprintf("%.*f%s", strcmp(unit, "MiB") == 0 ? 1 : 2, v, unit);
}
