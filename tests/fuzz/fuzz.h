/*
 * fuzz.h — what every libFuzzer harness in tests/fuzz/ shares.
 *
 * A harness is one input at a time, and must be deterministic: the same
 * bytes take the same path, so a crash the fuzzer saves can be replayed
 * alone.  Where a harness wants randomness (how a stream is split into
 * reads), it draws it from a generator seeded with a hash of the input,
 * so every mutation splits differently but each input always the same.
 * A broken invariant prints what was expected and aborts, which libFuzzer
 * reports as a crash and saves the input under -artifact_prefix.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Print why an invariant broke and abort, for libFuzzer to save the input. */
static inline void __attribute__((format(printf, 3, 4), noreturn))
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s:%d: invariant broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_FAIL(...)	fuzz_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		FUZZ_FAIL("%s", #cond);					\
} while (0)

/* A seed for fuzz_rand from the input's bytes (FNV-1a). */
static inline uint64_t
fuzz_seed(const uint8_t *p, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* The next number of a small generator (splitmix64). */
static inline uint64_t
fuzz_rand(uint64_t *state)
{
	uint64_t	z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * How many bytes the next read returns, at most left: mostly a few (the
 * cases that split a token), sometimes many, sometimes all.
 */
static inline size_t
fuzz_piece(uint64_t *state, size_t left)
{
	uint64_t	r = fuzz_rand(state);
	size_t		n;

	switch (r % 4) {
	case 0:
		n = 1 + (r >> 8) % 4;
		break;
	case 1:
		n = 1 + (r >> 8) % 64;
		break;
	case 2:
		n = 1 + (r >> 8) % 4096;
		break;
	default:
		n = left;
		break;
	}
	return n < left ? n : left;
}

#endif
