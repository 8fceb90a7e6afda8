#!/usr/bin/perl

# With "error_log ... debug" an operator sees the module's steps (route,
# body, PII count, decision, filters, counting) and never a PII value or
# a credential in them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $v = `$ENV{NGINX} -V 2>&1` // '';
plan skip_all => 'NGINX is not built --with-debug' if $v !~ /--with-debug/;

my $t = AzoaiTest->new(error_log_level => 'debug');

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

$t->start_upstream->start;

my $EMAIL = 'jane.roe@example.org';
my $CARD = '4111 1111 1111 1111';
my $KEY = 'debugk3ydeadbeefcafef00d01234567';
my $body = qq({"messages":[{"role":"user","content":)
         . qq("mail $EMAIL, card $CARD"}]});
my $masked = qq({"messages":[{"role":"user","content":)
           . qq("mail [EMAIL], card [CREDIT_CARD]"}]});

$t->expect_allowed({
    method => 'POST',
    path => '/openai/deployments/chat-prod/chat/completions'
            . '?api-version=2024-10-21',
    headers => [['Content-Type', 'application/json'], ['api-key', $KEY]],
    body => $body,
}, 'PII request allowed and masked', body => $masked);

$t->expect_denied({
    method => 'POST',
    path => '/openai/deployments/chat-prod/chat/completions'
            . '?api-version=2025-01-01-preview',
    headers => [['Content-Type', 'application/json'], ['api-key', $KEY]],
    body => $body,
}, 403, 'PreviewApiVersionBlocked', 'preview api-version denied');

$t->request({ method => 'GET', path => "/openai/realtime?api-key=$KEY"
                                      . '&deployment=gpt-4o-realtime' });

# the log phase runs after the response is sent
my $deadline = time + 5;
my @ours;
while (time < $deadline) {
    @ours = grep { /azoai/ } split /\n/, $t->error_log;
    last if (grep { /azoai: counting request/ } @ours) >= 3;
    select undef, undef, undef, 0.05;
}

my $text = join "\n", @ours;

like($text, qr/azoai: request id generator keyed/, 'worker start');
like($text, qr/azoai: route "chat\.completions".*allowed so far/,
     'route judged');
like($text, qr/azoai: route "chat\.completions".*PreviewApiVersionBlocked/,
     'route denial named by its code');
like($text, qr/azoai: reading the request body, content length \d+/,
     'body read');
like($text, qr/azoai: 2 PII value\(s\) found/, 'PII count');
like($text, qr/azoai: request body replaced, \d+ bytes/, 'body replaced');
like($text, qr/azoai: request [0-9a-f]{32} allowed, 2 PII value\(s\)/,
     'decision with the request id');
like($text, qr/azoai: reading token usage from a "application\/json"/,
     'response filter');
like($text, qr/azoai: token usage prompt \d+, completion \d+, total \d+/,
     'token usage read');
like($text, qr/azoai: counting request [0-9a-f]{32}: deny/,
     'log phase counts a denial');

for my $secret ($EMAIL, $CARD, '1111 1111', $KEY, 'jane') {
    unlike($text, qr/\Q$secret\E/, "no '$secret' in the module's lines");
}

$t->error_log_clean;

done_testing;
