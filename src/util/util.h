/*
 * util.h — what every layer of hearth may use: allocation that never
 * fails, growable buffers, clocks, files and paths.  It depends on libc
 * alone, so vm/ and the manager can share it without sharing anything else.
 */
#ifndef HEARTH_UTIL_H
#define HEARTH_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define printflike(a, b) __attribute__((format(printf, a, b)))
#define nonreturn __attribute__((noreturn))
#define nitems(a) (sizeof (a) / sizeof (a)[0])

/* xmalloc.c: allocation never fails; fatal() restores the terminal first. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *old, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) printflike(1, 2);
char	*xvasprintf(const char *fmt, va_list ap);
void	 fatal(const char *fmt, ...) printflike(1, 2) nonreturn;
extern void (*fatal_hook)(void);

/* util.c: small helpers shared by the manager. */
struct buf {
	char	*data;		/* bytes, always NUL-terminated */
	size_t	 len;		/* bytes used, excluding the NUL */
	size_t	 cap;		/* bytes allocated */
};
void	 buf_add(struct buf *b, const void *data, size_t len);
void	 buf_addstr(struct buf *b, const char *s);
void	 buf_printf(struct buf *b, const char *fmt, ...) printflike(2, 3);
void	 buf_free(struct buf *b);
double	 util_now(void);
uint64_t util_mono_us(void);
void	 util_random_hex(char *out, size_t len);
int	 util_read_fd(int fd, const char *what, struct buf *b, size_t max,
	    char **cause);
int	 util_read_file(const char *path, struct buf *b, size_t max,
	    char **cause);
int	 util_write_file(const char *path, const void *data, size_t len,
	    char **cause);
int	 util_mkdirs(const char *path, int mode);
int	 util_rmtree(const char *path);
/* Bytes a copied code tree may hold: PROTO_CODE_MAX (fn.c checks they agree). */
#define UTIL_CODE_MAX	(250 * 1024 * 1024)
#define UTIL_TREE_DEPTH	64	/* directories deep a copied code tree may go */
int	 util_copytree(const char *src, const char *dst, uint64_t *size,
	    char **cause);
int	 util_copyfd(int in, const char *what, const char *dst, uint64_t *size,
	    char **cause);
int	 util_parse_int(const char *s, long long min, long long max,
	    long long *out);
const char *util_lib_dir(void);
int	 util_split(const char *line, int *argc, char ***argv, char **cause);
void	 util_free_argv(int argc, char **argv);

/* units.c: a figure as text shows it, with its unit (128MiB, 20.41ms). */
char	*util_unit_int(long long v, const char *unit);
char	*util_unit_num(double v, const char *unit);

/*
 * Ctrl-C, hangups and TERM (interrupt.c).  A front end that catches them
 * calls util_interrupt_catch; the signal then sets util_interrupted,
 * which the long waits (agent requests, followers) look at and end early
 * on.  A one-shot command (die set) dies of it at once, as by default —
 * unless it holds something its death would leave behind (util_hold: an
 * instance it is starting).  Then the holder sees util_interrupted, ends
 * what it holds, and the front end dies of the signal once the command
 * has returned (util_interrupt_end), so its parent sees a process killed
 * by it, as from any program.  In the shell, SIGINT ends the command only.
 */
extern volatile sig_atomic_t util_interrupted;
void	 util_interrupt_catch(int die);
void	 util_interrupt_end(void);
void	 util_hold(int delta);

#endif
