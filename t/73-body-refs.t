#!/usr/bin/perl

# A masked request body held in memory goes upstream as a chain over the
# body as received: unchanged spans of 8 KB and more are buffers over
# NGINX's own (not copied), the masks and the shorter spans around them
# are copied into one small buffer.  The upstream must receive exactly
# the body with each value masked, with a Content-Length of that length:
# over HTTP/1.1 in one write and in pieces (part of the body read with
# the headers), over HTTP/2, with spans just under, at and over 8 KB;
# sent again, byte for byte, to the next server when the first drops the
# connection halfway; and $azoai_body_sha256 is still of the body as
# received.  The same bodies spooled to a temp file are masked in their
# copy, as before.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Digest::SHA qw(sha256_hex);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 1);

$t->write_catalog;

my @pii = ('azoai on;', 'azoai_pii on;', 'azoai_pii_types email;',
           'azoai_catalog %%CATALOG%%;', 'client_max_body_size 4m;',
           'access_log %%DIR%%/refs.log refs;');

$t->write_conf("    log_format refs '\$http_x_test_id \$azoai_pii_count "
    . "\$azoai_body_sha256';\n\n"
    . server_block(h2 => 1,
                   directives => [@pii, 'client_body_buffer_size 1m;'])
    . server_block(port => 'file',
                   directives => [@pii, 'client_body_buffer_size 4k;'])
    . "    upstream azoai_retry {\n"
    . "        server 127.0.0.1:%%PORT_DROP%% max_fails=0;\n"
    . "        server %%UPSTREAM%% backup;\n    }\n"
    . server_block(port => 'retry',
                   directives => [@pii, 'client_body_buffer_size 1m;'],
                   locations => "        location /openai/ {\n"
                   . "            proxy_pass http://azoai_retry;\n"
                   . "            proxy_next_upstream error timeout "
                   . "non_idempotent;\n        }\n"));
$t->start_upstream->start;

# the first server of azoai_retry: reads 32 KB of a request, then closes
my $dropper = start_dropper($t->port('drop'), 32768);
END { kill 'TERM', $dropper if $dropper; }

my $PATH = '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';
my $n = 0;

# words with a JSON escape and a UTF-8 letter now and then, exactly len
# bytes long
sub filler {
    my ($len) = @_;
    my $s = '';
    $s .= "lorem ipsum \\\"dolor\\\" sit \xc3\xa9met, " while length $s < $len;
    $s = substr($s, 0, $len);
    $s =~ s/\\\z/ /;                       # no escape cut in two
    $s =~ s/\xc3\z/ /;                     # nor a letter
    return $s;
}

# a body whose content holds an e-mail after each gap of filler; and
# what the upstream should receive
sub body {
    my (@gaps) = @_;
    my ($text, $want) = ('', '');
    my $i = 0;
    for my $gap (@gaps) {
        my $f = filler($gap);
        my $mail = 'user' . $i++ . '@example.com';
        $text .= "$f $mail ";
        $want .= "$f [EMAIL] ";
    }
    my $head = '{"model":"chat-prod","messages":[{"role":"user","content":"';
    return ($head . $text . 'end"}]}', $head . $want . 'end"}]}');
}

sub req {
    my ($body, %o) = @_;
    my $id = 'r' . ++$n;
    my $port = $t->port($o{port} // 'main');
    my $head = "POST $PATH HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . "X-Test-Id: $id\r\nContent-Length: " . length($body) . "\r\n\r\n";
    my %r = (method => 'POST', path => $PATH, body => $body, port => $port,
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', $id]]);
    if ($o{via}) {
        $r{via} = 'h2';
        $r{port} = $t->port('h2');
    }
    if ($o{pieces}) {
        # the headers with 100 bytes of the body, then the rest in two
        my $third = int((length($body) - 100) / 2);
        $r{delay} = 0.05;
        $r{parts} = [$head . substr($body, 0, 100),
                     substr($body, 100, $third),
                     substr($body, 100 + $third)];
    }
    return ($id, \%r);
}

sub logged {
    my ($id) = @_;
    my $line = $t->access_log_wait(qr/^\Q$id\E /, 'refs.log') // '';
    my (undef, $count, $sha) = split / /, $line;
    return ($count, $sha);
}

my @bodies = (
    ['long spans', 20000, 30000, 9000, 100],
    ['spans around 8 KB', 8191, 8192, 8193, 50, 8192, 8191],
    ['short spans only', 100, 7000, 2000, 1],
    ['many values', (1500) x 40, 9000, (10) x 20],
);

for my $b (@bodies) {
    my ($what, @gaps) = @$b;
    my ($body, $want) = body(@gaps);

    for my $how (['HTTP/1.1'], ['HTTP/1.1 in pieces', pieces => 1],
                 ['HTTP/2', via => 'h2'], ['temp file', port => 'file'])
    {
        my ($name, %o) = @$how;
      SKIP: {
            skip 'curl lacks HTTP/2', 4
                if $o{via} && !curl_h2_available();
            my ($id, $req) = req($body, %o);
            my ($up, $r) = $t->expect_allowed($req,
                "$what, $name: the upstream gets the body masked, byte "
                . "for byte", body => $want);
            is($r->{headers}{'x-azoai-pii-masked'}, scalar @gaps,
               "$what, $name: " . scalar(@gaps) . ' values masked');
            my ($count, $sha) = logged($id);
            is($count, scalar @gaps, "$what, $name: \$azoai_pii_count");
            is($sha, sha256_hex($body),
               "$what, $name: \$azoai_body_sha256 of the body received");
        }
    }
}

# sent again to the next server after the first took part of it
{
    my ($body, $want) = body(20000, 100, 30000, 9000, 100, 40000);
    my ($id, $req) = req($body, port => 'retry');
    $t->expect_allowed($req, 'sent again to the next server after the '
                       . 'first dropped it: the masked body, byte for byte',
                       body => $want);
    my $dropped = $t->port('drop');
    like($t->error_log, qr/(?:prematurely\ closed|reset\ by\ peer|
                           broken\ pipe).*upstream:\ "http:\/\/127\.0\.0\.1:
                           $dropped/xi,
         'the first server took part of the body and dropped it');
    my (undef, $sha) = logged($id);
    is($sha, sha256_hex($body), 'resent: $azoai_body_sha256 unchanged');
}

ok($t->error_log_clean, 'error log clean');

done_testing();
