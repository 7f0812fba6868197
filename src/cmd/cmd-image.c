/*
 * cmd-image.c — image ls: the runtime images found on disk, as the
 * manager registers and lists them (image_sync, list_images), the same
 * rows the console's Images view shows.
 */
#include "hearth.h"

static const struct out_col cmd_image_ls_cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "size_mb", "SIZE", OUT_NUM, "MiB" },
	{ "path", "PATH", OUT_STR },
};

static int
cmd_image_ls_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct list_image	*img;
	char			*cause = NULL;
	int			 n, i;

	if (image_sync(ctx->store, &cause) != 0 ||
	    list_images(ctx->store, &img, &n, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_image_ls_cols, nitems(cmd_image_ls_cols));
	for (i = 0; i < n; i++) {
		out_table_row(t);
		out_cell_str(t, "name", img[i].name);
		out_cell_str(t, "runtime", img[i].runtime);
		out_cell_num(t, "size_mb", img[i].size_mb);
		out_cell_str(t, "path", img[i].path);
	}
	list_images_free(img, n);
	out_show(ctx, t, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_image_ls_entry = {
	.name = "image ls",
	.alias = "img ls",
	.min_args = 0, .max_args = 0,
	.help = "list runtime images",
	.example = "hearth image ls -o json",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_LIST,
	.exec = cmd_image_ls_exec,
};
