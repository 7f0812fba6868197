/*
 * check.h — the smallest test harness: numbered checks that name
 * themselves on failure (as SQLite's cases do), a summary, exit status.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed, check_run;

#define CHECK(id, cond) do {						\
	check_run++;							\
	if (!(cond)) {							\
		check_failed++;						\
		fprintf(stderr, "%s:%d: check %s failed: %s\n",		\
		    __FILE__, __LINE__, id, #cond);			\
	}								\
} while (0)

#define CHECK_STR(id, got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	check_run++;							\
	if (g_ == NULL || strcmp(g_, w_) != 0) {			\
		check_failed++;						\
		fprintf(stderr, "%s:%d: check %s failed: got '%s', want '%s'\n", \
		    __FILE__, __LINE__, id, g_ ? g_ : "(null)", w_);	\
	}								\
} while (0)

#define CHECK_DONE() do {						\
	printf("%d checks, %d failed\n", check_run, check_failed);	\
	return check_failed ? 1 : 0;					\
} while (0)

#endif
