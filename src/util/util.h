/*
 * util.h — what every layer of hearth may use: allocation that never
 * fails, growable buffers, clocks, files and paths.  It depends on libc
 * alone, so vm/ and the manager can share it without sharing anything else.
 */
#ifndef HEARTH_UTIL_H
#define HEARTH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define printflike(a, b) __attribute__((format(printf, a, b)))
#define nonreturn __attribute__((noreturn))
#define nitems(a) (sizeof (a) / sizeof (a)[0])

/* xmalloc.c: allocation never fails; fatal() restores the terminal first. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) printflike(1, 2);
char	*xvasprintf(const char *, va_list);
void	 fatal(const char *, ...) printflike(1, 2) nonreturn;
extern void (*fatal_hook)(void);

/* util.c: small helpers shared by the manager. */
struct buf {
	char	*data;		/* bytes, always NUL-terminated */
	size_t	 len;		/* bytes used, excluding the NUL */
	size_t	 cap;		/* bytes allocated */
};
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...) printflike(2, 3);
void	 buf_free(struct buf *);
double	 util_now(void);
uint64_t util_mono_us(void);
void	 util_random_hex(char *, size_t);
int	 util_read_fd(int, const char *, struct buf *, size_t, char **);
int	 util_read_file(const char *, struct buf *, size_t, char **);
int	 util_write_file(const char *, const void *, size_t, char **);
int	 util_mkdirs(const char *, int);
int	 util_rmtree(const char *);
/* Bytes a copied code tree may hold: PROTO_CODE_MAX (fn.c checks they agree). */
#define UTIL_CODE_MAX	(250 * 1024 * 1024)
#define UTIL_TREE_DEPTH	64	/* directories deep a copied code tree may go */
int	 util_copytree(const char *, const char *, uint64_t *, char **);
int	 util_copyfd(int, const char *, const char *, uint64_t *, char **);
int	 util_parse_int(const char *, long long, long long, long long *);
const char *util_lib_dir(void);
int	 util_split(const char *line, int *argc, char ***argv, char **cause);
void	 util_free_argv(int argc, char **argv);

#endif
