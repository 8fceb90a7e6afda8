#!/usr/bin/perl

# X-AzOAI-* headers to the client and the upstream, azoai_audit_headers
# off, and that no credential appears in an answer or a log.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_QUIET%%;
        azoai on;
        azoai_audit_headers off;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $API_KEY = 'k3y5ecretdeadbeefcafef00d0123456';
my $BEARER = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJlc2VjcmV0';
my @CREDS = (['api-key', $API_KEY], ['Authorization', "Bearer $BEARER"],
             ['Ocp-Apim-Subscription-Key', 'apimsecret0987654321']);

sub chat {
    my ($dep, %o) = @_;
    return {
        method => 'POST', port => $o{port},
        path => "/openai/deployments/$dep/chat/completions?"
                . ($o{query} || 'api-version=2024-10-21'),
        headers => [['Content-Type', 'application/json'], @CREDS],
        body => '{"messages":[{"role":"user","content":"hi"}]}',
    };
}

# allowed: request id to both sides, the same one
my ($up, $r) = $t->expect_allowed(chat('chat-prod'), 'GA request allowed');
my $id = $r->{headers}{'x-azoai-request-id'};
like($id // 'absent', qr/^[0-9a-f]{32}$/,
     'response X-AzOAI-Request-Id is 32 lower-case hex digits');
is($up && $up->{headers}{'x-azoai-request-id'}, $id,
   'upstream got the same X-AzOAI-Request-Id');
is($up && $up->{headers}{'api-key'}, $API_KEY,
   'credentials still reach the upstream');

my ($up2, $r2) = $t->expect_allowed(chat('chat-prod'), 'second request');
isnt($r2->{headers}{'x-azoai-request-id'} // '', $id // '',
     'request ids differ');

# denied: id and decision too
$r = $t->request(chat('chat-preview'));
is_denial($r, 403, 'PreviewModelBlocked', 'preview denied');
like($r->{headers}{'x-azoai-request-id'} // 'absent', qr/^[0-9a-f]{32}$/,
     'denial has an X-AzOAI-Request-Id of 32 lower-case hex digits');
for my $c (@CREDS) {
    my $secret = (split / /, $c->[1])[-1];
    unlike($r->{body}, qr/\Q$secret\E/, "denial body hides $c->[0]");
}

$r = $t->request(chat('chat-prod',
                      query => "api-version=2024-10-21&api-key=$API_KEY"
                               . '&api-version=2025-04-01-preview'));
is_denial($r, 400, 'AmbiguousRequest', 'ambiguous with api-key in query');
unlike($r->{body}, qr/\Q$API_KEY\E/, 'denial body hides api-key query');

# azoai_audit_headers off
my $qp = $t->port('quiet');
($up, $r) = $t->expect_allowed(chat('chat-prod', port => $qp),
                               'quiet: allowed', decision => undef);
ok(!(grep { $_->[0] =~ /^x-azoai-/i } @{$r->{header_list}}),
   'quiet: no X-AzOAI-* response header');
ok($up && !(grep { $_->[0] =~ /^x-azoai-/i } @{$up->{header_list}}),
   'quiet: no X-AzOAI-* upstream header');

$r = $t->request(chat('chat-preview', port => $qp));
is_denial($r, 403, 'PreviewModelBlocked', 'quiet: still denied',
          decision => undef);
ok(!(grep { $_->[0] =~ /^x-azoai-/i } @{$r->{header_list}}),
   'quiet: no X-AzOAI-* header on a denial');

# nothing secret in the module's error log lines (info level), including
# the request line NGINX appends to them
my $ours = join "\n", grep { /azoai/ } split /\n/, $t->error_log;
for my $code (qw(PreviewModelBlocked AmbiguousRequest)) {
    like($ours, qr/\[info\] .*azoai: request [0-9a-f]{32} denied: $code: /,
         "the module logged the $code denial with its request id");
}
for my $secret ($API_KEY, $BEARER, 'apimsecret0987654321') {
    unlike($ours, qr/\Q$secret\E/, 'module log lines hold no credential');
}

$t->error_log_clean;

done_testing;
