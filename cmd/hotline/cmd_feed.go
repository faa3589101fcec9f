package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"hotline/internal/feed"
	"hotline/internal/seal"
)

func init() {
	register("feed", "municipal platform feed: feed add-platform --db URL --name N --secret-stdin [--deliver-url URL] [--disabled] | feed list --db URL", runFeed)
}

func runFeed(ctx context.Context, e env, args []string) error {
	const use = "feed add-platform --db URL --name N --secret-stdin [--deliver-url URL] [--disabled] | feed list --db URL"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, use)
	}
	switch args[0] {
	case "add-platform":
		return runFeedAdd(ctx, e, args[1:])
	case "list":
		return runFeedList(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: %s", errUsage, use)
}

func runFeedAdd(ctx context.Context, e env, args []string) error {
	fs := flags(e, "feed add-platform")
	db := fs.String("db", "", "database URL")
	name := fs.String("name", "", "platform name (lower-case letters, digits, _ . -); the platform sends it in X-Hotline-Platform")
	stdin := fs.Bool("secret-stdin", false, "read the shared HMAC secret from standard input")
	deliver := fs.String("deliver-url", "", "where status changes are POSTed (empty: not delivered)")
	disabled := fs.Bool("disabled", false, "store the platform disabled (its requests are refused with 403)")
	keyFile := dataKeyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*stdin {
		return fmt.Errorf("%w: feed add-platform: --secret-stdin is required (secrets never go on the command line)", errUsage)
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: feed add-platform: no secret on standard input", errUsage)
	}
	secret := strings.TrimRight(line, "\r\n")
	if len(secret) < 16 {
		return fmt.Errorf("%w: feed add-platform: the secret must be at least 16 characters", errUsage)
	}
	url, _ := dbURL(e, *db, false)
	key, _, err := resolveDataKey(e, *keyFile, url, false, false)
	if err != nil {
		return err
	}
	if key == nil {
		return fmt.Errorf("feed add-platform: %w", seal.ErrNoKey)
	}
	sealed, err := feed.NewBox(key, "").Seal(secret)
	if err != nil {
		return err
	}
	svc, closeFn, err := openService(ctx, e, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	p, err := svc.PutFeedPlatform(ctx, *name, sealed, *deliver, !*disabled)
	if err != nil {
		return err
	}
	how := "sealed with the data key"
	fmt.Fprintf(e.stdout, "platform %s saved (secret %s)\n", p.Name, how)
	return nil
}

func runFeedList(ctx context.Context, e env, args []string) error {
	fs := flags(e, "feed list")
	db := fs.String("db", "", "database URL")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, closeFn, err := openService(ctx, e, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	ps, err := svc.FeedPlatforms(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		state := "active"
		if !p.Active {
			state = "disabled"
		}
		enc := "encrypted"
		if strings.HasPrefix(p.Secret, "plain:") {
			enc = "unencrypted"
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\tsecret %s\n", p.Name, state, p.DeliverURL, enc)
	}
	pending, delivered, err := svc.OutboxStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "outbox: %d pending, %d delivered\n", pending, delivered)
	return nil
}
