#!/usr/bin/perl

# azoai_store: data retention.  deny refuses what asks Azure to keep data
# ("store": true, a Responses API request that does not say "store":
# false, "background": true) with DataRetentionBlocked; off rewrites the
# body to "store": false (every other byte kept, Content-Length updated),
# over HTTP/1.1 and HTTP/2, from temp-file and chunked bodies, together
# with PII masking; report mode logs and forwards the body unchanged;
# allow (the default) passes everything; "store" twice is ambiguous.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
# small body buffers: bodies over 1k come from temp files
my @SPOOLED = ('client_body_buffer_size 1k;', 'azoai on;');
$t->write_conf(<<'EOF'
    azoai_catalog %%CATALOG%%;
    log_format store '$http_x_test_id decision=$azoai_decision '
                     'reason=$azoai_reason';

EOF
    . server_block(h2 => 1, directives => [@SPOOLED, 'azoai_store deny;',
                   'access_log %%DIR%%/store.log store;'])
    . server_block(port => 'off', h2 => 1,
                   directives => [@SPOOLED, 'azoai_store off;'])
    . server_block(port => 'pii', h2 => 1,
                   directives => [@SPOOLED, 'azoai_store off;',
                                  'azoai_pii on;', 'azoai_pii_types email;'])
    . server_block(port => 'allow', h2 => 1,
                   directives => [@SPOOLED, 'azoai_store allow;'])
    . server_block(port => 'report',
                   directives => ['azoai on;', 'azoai_mode report;',
                                  'azoai_store off;',
                                  'access_log %%DIR%%/store.log store;'])
    . server_block(port => 'default', directives => ['azoai on;']));
$t->start_upstream->start;

my $V = '?api-version=2024-10-21';
my $id = 0;

# the server is '' (deny), 'off', 'pii' (off and PII masking) or 'allow'
sub req {
    my ($srv, $path, $body, %o) = @_;
    $o{port} //= $srv if $srv ne '';
    return { method => 'POST', path => "/openai/$path",
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', 's' . ++$id]],
             ($o{chunked} ? (chunked => $o{chunked}) : (body => $body)),
             ($o{port} ? (port => $t->port($o{port})) : ()),
             ($o{via} ? (via => $o{via},
                         port => $t->port($srv ? "${srv}_h2" : 'h2')) : ()) };
}

sub chat { req($_[0], "deployments/chat-prod/chat/completions$V", $_[1],
               @_[2 .. $#_]) }
sub resp { req($_[0], 'v1/responses', $_[1], @_[2 .. $#_]) }

# what the upstream receives
sub upstream_body {
    my ($spec, $want, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $path = $spec->{path};
    my $before = $t->upstream_count;
    my $r = $t->request($spec);
    my @up = $t->upstream_requests($before);
    is($r->{status}, 200, "$name: status 200");
    is($r->{headers}{'x-azoai-decision'}, $o{decision} // 'allow',
       "$name: decision");
    is(scalar @up, 1, "$name: one upstream request") or return;
    is($up[0]{body}, $want, "$name: upstream body");
    is($up[0]{headers}{'content-length'}, length $want,
       "$name: Content-Length of the upstream body");
    is($up[0]{uri}, $path, "$name: upstream uri");
}

my $MSG = '"messages":[{"role":"user","content":"hi"}]';
my $RESP = '{"model":"chat-prod","input":"hi"}';

# --- deny ------------------------------------------------------------------

$t->expect_denied(chat('', "{\"store\":true,$MSG}"), 403,
                  'DataRetentionBlocked', 'deny: store true');
like(error_message($t->request(chat('', "{\"store\":true,$MSG}"))),
     qr/'store': true/, 'deny: the message says why');
$t->expect_denied(chat('', "{$MSG, \"st\\u006fre\" : true }"), 403,
                  'DataRetentionBlocked', 'deny: an escaped key, last');
$t->expect_denied(chat('', "{\"store\":true,\"store\":false,$MSG}"), 400,
                  'AmbiguousRequest', 'deny: store twice is ambiguous');
like(error_message($t->request(
         chat('', "{\"store\":false,\"store\":false,$MSG}"))),
     qr/'store' given more than once/, 'ambiguous: the message');

$t->expect_allowed(chat('', "{\"store\":\"true\",$MSG}"),
                   'deny: "store": "true" is not true');
$t->expect_allowed(chat('', "{\"store\":false,$MSG}"), 'deny: store false');
$t->expect_allowed(chat('', "{\"store\":null,$MSG}"), 'deny: store null');
$t->expect_allowed(chat('', "{$MSG}"), 'deny: chat without store');
$t->expect_allowed(chat('', "{\"metadata\":{\"store\":true},$MSG}"),
                   'deny: a nested store is not the request\'s');

$t->expect_denied(resp('', $RESP), 403, 'DataRetentionBlocked',
                  'deny: Responses API without store');
like(error_message($t->request(resp('', $RESP))),
     qr/Responses API requests that do not say 'store': false/,
     'deny: the message names the default');
$t->expect_denied(resp('', '{"store":"false","model":"chat-prod"}'), 403,
                  'DataRetentionBlocked', 'deny: Responses "store": "false"');
$t->expect_allowed(resp('', '{"store":false,"model":"chat-prod"}'),
                   'deny: Responses with store false');
$t->expect_denied(resp('', '{"store":false,"background":true,'
                           . '"model":"chat-prod"}'),
                  403, 'DataRetentionBlocked', 'deny: background true');
$t->expect_allowed(resp('', '{"store":false,"background":false,'
                            . '"model":"chat-prod"}'),
                   'deny: background false');

# the GA decision comes first
$t->expect_denied(req('', "deployments/chat-preview/chat/completions$V",
                      "{\"store\":true,$MSG}"),
                  403, 'PreviewModelBlocked', 'deny: GA check first');

# --- off: rewritten ----------------------------------------------------------

upstream_body(chat('off', "{\"store\":true,$MSG}"),
              "{\"store\":false,$MSG}", 'off: store true');
upstream_body(chat('off', "{ $MSG ,\n \"store\" :\ttrue }"),
              "{ $MSG ,\n \"store\" :\tfalse }",
              'off: spacing around the value kept');
upstream_body(resp('off', $RESP),
              '{"store":false,"model":"chat-prod","input":"hi"}',
              'off: Responses without store gets store false');
upstream_body(resp('off', '{"store":"true","model":"chat-prod"}'),
              '{"store":false,"model":"chat-prod"}',
              'off: Responses "store": "true" becomes false');
upstream_body(resp('off', '{"model":"chat-prod","store":null}'),
              '{"model":"chat-prod","store":false}',
              'off: Responses "store": null becomes false');
upstream_body(chat('off', "{\"store\":\"true\",$MSG}"),
              "{\"store\":\"true\",$MSG}",
              'off: "store": "true" on chat is left as it is');
upstream_body(resp('off', '{"store":false,"model":"chat-prod"}'),
              '{"store":false,"model":"chat-prod"}',
              'off: store false is left as it is');
$t->expect_denied(resp('off', '{"model":"chat-prod","background":true}'),
                  403, 'DataRetentionBlocked', 'off: background is denied');
$t->expect_denied(resp('off', '{"model":"chat-prod","store":{"a":1}}'),
                  403, 'DataRetentionBlocked',
                  'off: a store that is an object is denied');

# a body larger than client_body_buffer_size: a temp file
my $pad = 'x' x 5000;
my $big = "{\"messages\":[{\"role\":\"user\",\"content\":\"$pad\"}],"
    . "\"store\":true}";
(my $big_want = $big) =~ s/"store":true/"store":false/;
upstream_body(chat('off', $big), $big_want, 'off: temp-file body');

upstream_body(chat('off', undef, chunked => ['{"store":', "true,$MSG}"]),
              "{\"store\":false,$MSG}", 'off: chunked body');

# with PII masking: both edits, every other byte kept
my $mail = 'alice@example.com';
upstream_body(resp('pii', "{\"model\":\"chat-prod\",\"input\":\"$mail\"}"),
              '{"store":false,"model":"chat-prod","input":"[EMAIL]"}',
              'off + PII: store added, e-mail masked');
upstream_body(chat('pii', "{\"messages\":[{\"role\":\"user\",\"content\":"
                           . "\"$mail\"}],\"store\":true,\"user\":\"$mail\"}"),
              '{"messages":[{"role":"user","content":"[EMAIL]"}],'
              . '"store":false,"user":"[EMAIL]"}',
              'off + PII: masks before and after the rewrite');
upstream_body(chat('pii', "{\"messages\":[{\"role\":\"user\",\"content\":"
                           . "\"$pad $mail\"}],\"store\":true}"),
              "{\"messages\":[{\"role\":\"user\",\"content\":"
              . "\"$pad [EMAIL]\"}],\"store\":false}",
              'off + PII: temp-file body');

# --- HTTP/2 ------------------------------------------------------------------

SKIP: {
    skip 'curl without HTTP/2', 7 unless curl_h2_available();
    $t->expect_denied(chat('', "{\"store\":true,$MSG}", via => 'h2'), 403,
                      'DataRetentionBlocked', 'HTTP/2: deny');
    upstream_body(resp('off', $RESP, via => 'h2'),
                  '{"store":false,"model":"chat-prod","input":"hi"}',
                  'HTTP/2: off rewrites');
}

# --- allow, the default ------------------------------------------------------

$t->expect_allowed(resp('allow', '{"model":"chat-prod","background":true}'),
                   'allow: background passes');
$t->expect_allowed(resp('', '{"model":"chat-prod","background":true}',
                        port => 'default'),
                   'no directive: allow');
$t->expect_allowed(chat('', "{\"store\":true,$MSG}", port => 'default'),
                   'no directive: store true passes');
$t->expect_denied(chat('', "{\"store\":true,\"store\":true,$MSG}",
                       port => 'default'),
                  400, 'AmbiguousRequest',
                  'no directive: store twice is still ambiguous');

# --- report mode -------------------------------------------------------------

my $rq = resp('', $RESP, port => 'report');
$t->expect_allowed($rq, 'report: forwarded unchanged');
like($t->error_log,
     qr/request \S+ report-only, would rewrite the body to "store": false/,
     'report: the error log says what off would do');

$rq = resp('', '{"model":"chat-prod","background":true}', port => 'report');
my $tid = $rq->{headers}[1][1];
$t->expect_allowed($rq, 'report: background forwarded',
                   decision => 'report-deny');
is($t->access_log_wait(qr/^$tid /, 'store.log'),
   "$tid decision=report-deny reason=DataRetentionBlocked",
   'report: logged with DataRetentionBlocked');

$t->error_log_clean;

# --- nginx -t ----------------------------------------------------------------

$t->write_conf(<<'EOF', file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_store keep;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
my ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
isnt($rc, 0, 'nginx -t rejects azoai_store keep');
like($out, qr/invalid value "keep" in \S*bad\.conf:\d+/,
     'nginx -t says which value');

done_testing;
