#!/usr/bin/perl

# File uploads that NGINX spools to a temp file are read block by block
# (256 KB) and, when lines are masked, rewritten into a new temp file:
# several-MB files over HTTP/1.1 and HTTP/2 reach the upstream with the
# masked lines masked, every other byte as sent (lines cut across blocks,
# CRLF and blank lines, a last line without LF, the envelope) and the
# right Content-Length; a clean file goes on untouched; a failing batch
# line near the end of a big file denies it with its number; a line over
# the 8 MB limit is refused with a JSON error and NGINX keeps serving;
# the worker's memory does not follow the size of the file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;

my @spool = ('azoai on;', 'azoai_pii on;', 'azoai_catalog %%CATALOG%%;',
             'azoai_max_body_size 64m;', 'client_body_buffer_size 16k;',
             'client_max_body_size 64m;');

# 'retry': a POST that the first server takes and drops goes to the next
# one (non_idempotent); NGINX sends the body again from its buffers'
# start (ngx_http_upstream_reinit)
$t->write_conf(server_block(h2 => 1, directives => \@spool)
    . "    upstream azoai_retry {\n"
    . "        server 127.0.0.1:%%PORT_DROP%% max_fails=0;\n"
    . "        server %%UPSTREAM%% backup;\n    }\n"
    . server_block(port => 'retry', directives => \@spool,
                   locations => "        location /openai/ {\n"
                   . "            proxy_pass http://azoai_retry;\n"
                   . "            proxy_next_upstream error timeout "
                   . "non_idempotent;\n        }\n"));
$t->start_upstream->start;

# the first server of azoai_retry: reads 64 KB of a request, then closes
my $dropper = start_dropper($t->port('drop'), 65536);
END { kill 'TERM', $dropper if $dropper; }

my $B = '----azoaiStreamBoundary';
my $V = '?api-version=2024-10-21';

sub upload {
    my ($purpose, $content, %o) = @_;
    my $body = "--$B\r\nContent-Disposition: form-data; name=\"purpose\""
        . "\r\n\r\n$purpose\r\n--$B\r\nContent-Disposition: form-data; "
        . "name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: "
        . "application/octet-stream\r\n\r\n$content\r\n--$B--\r\n";
    return { method => 'POST', path => "/openai/files$V",
             headers => [['Content-Type',
                          "multipart/form-data; boundary=$B"]],
             body => $body, port => $t->port($o{via} ? 'h2' : 'main'),
             ($o{via} ? (via => $o{via}) : ()) };
}

# a fine-tuning file of about 6 MB: every 97th line holds an e-mail
# address, some lines end in CRLF, blank lines here and there, two lines
# of 300 KB (longer than a read block: always cut across blocks), one of
# them with an address at its far end, and a last line without LF
my ($ft, $masked, $n) = ('', '', 0);
my $long = 'x' x (300 * 1024);
while (length $ft < 6 * 1024 * 1024) {
    $n++;
    my $who = $n % 97 ? 'the customer' : "jane.doe$n\@example.com";
    my $l = qq({"messages":[{"role":"user","content":"line $n by $who"},)
        . qq({"role":"assistant","content":"noted"}]});
    $l = qq({"messages":[{"role":"user","content":"$long"}]})
        if $n == 1000;
    $l = qq({"messages":[{"role":"user","content":"$long mail )
        . qq(far.end\@example.com"}]}) if $n == 20000;
    my $end = $n % 13 ? "\n" : "\r\n";
    $end .= "\n  \n" if $n % 1001 == 0;
    $ft .= $l . $end;
}
$ft .= qq({"messages":[{"role":"user","content":"last one\@example.com"}]});
($masked = $ft) =~ s/[\w.]+\@example\.com/[EMAIL]/g;
my $emails = () = $ft =~ /\@example\.com/g;
ok(length($ft) > 6 * 1024 * 1024 && $emails > 300,
   'the file: ' . length($ft) . " bytes, $emails addresses");

# memory, first, while the worker is fresh: a 36 MB file with PII; the
# worker's peak RSS grows by far less than the file (gathered in memory,
# it was held twice)
{
    my $big = ("$ft\n") x 6;
    my $hwm0 = $t->worker_hwm;
    my $r = $t->request(upload('fine-tune', $big));
    is($r->{status}, 200, 'a ' . length($big) . '-byte file is masked');
    is($r->{headers}{'x-azoai-pii-masked'}, 6 * $emails,
       'all ' . 6 * $emails . ' values masked');
    my $grew = $t->worker_hwm - $hwm0;
    cmp_ok($grew, '<', 24 * 1024,
           "the worker's peak RSS grew by ${grew} KB (< 24 MB for a "
           . int(length($big) / 1048576) . ' MB file)');
}

for my $via (undef, 'h2') {
    my $how = $via ? 'HTTP/2' : 'HTTP/1.1';

    my ($up, $r) = $t->expect_allowed(
        upload('fine-tune', $ft, via => $via),
        "$how: a " . length($ft) . '-byte fine-tuning file is masked from '
        . 'its temp file, every other byte as sent',
        body => (upload('fine-tune', $masked))->{body});
    is($r->{headers}{'x-azoai-pii-masked'}, $emails,
       "$how: $emails values masked");

    (my $clean = $ft) =~ s/\@example\.com/ at example dot com/g;
    $t->expect_allowed(upload('fine-tune', $clean, via => $via),
                       "$how: a " . length($clean) . '-byte file without '
                       . 'PII goes on untouched');
}

# every line masked, lines of varied length cut across blocks anywhere:
# the new body is written from the block in hand by reference between
# the rewritten lines, many pieces a block (the write is split at 64)
{
    my $dense = join '', map {
        qq({"messages":[{"role":"user","content":"n$_ ) . ('w' x ($_ % 53))
        . qq( u$_\@example.com"}]}) . ($_ % 11 ? "\n" : "\r\n")
    } 1 .. 24000;
    (my $want = $dense) =~ s/u\d+\@example\.com/[EMAIL]/g;

    my $retry = upload('fine-tune', $dense);
    $retry->{port} = $t->port('retry');
    $t->expect_allowed($retry, 'sent again to the next server after the '
                       . 'first dropped it: the masked body, byte for byte',
                       body => (upload('fine-tune', $want))->{body});
    my $dropped = $t->port('drop');
    like($t->error_log, qr/(?:prematurely\ closed|reset\ by\ peer|
                           broken\ pipe).*upstream:\ "http:\/\/127\.0\.0\.1:
                           $dropped/xi,
         'the first server took part of the body and dropped it');

    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        my ($up, $r) = $t->expect_allowed(
            upload('fine-tune', $dense, via => $via),
            "$how: a " . length($dense) . '-byte file with a value on every '
            . 'line is masked from its temp file, byte for byte',
            body => (upload('fine-tune', $want))->{body});
        is($r->{headers}{'x-azoai-pii-masked'}, 24000,
           "$how: 24000 values masked");
    }
}

# a batch file of about 5 MB whose line 29999 names a preview deployment
{
    my @lines = map {
        my $dep = $_ == 29999 ? 'chat-preview' : 'chat-prod';
        qq({"custom_id":"task-$_","method":"POST","url":"/chat/completions",)
        . qq("body":{"model":"$dep","messages":[{"role":"user","content":)
        . qq("question number $_ of the batch, padded to be long enough"}]}})
    } 1 .. 30000;
    my $batch = join("\n", @lines) . "\n";

    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        my $r = $t->request(upload('batch', $batch, via => $via));
        ok(is_denial($r, 403, 'PreviewModelBlocked',
                     "$how: a " . length($batch) . '-byte batch file with '
                     . 'line 29999 on a preview deployment is denied'),
           "$how: denied");
        like(error_message($r), qr/^line 29999: deployment 'chat-preview'/,
             "$how: the message names line 29999");
    }

    $lines[29998] =~ s/chat-preview/chat-prod/;
    $batch = join("\n", @lines) . "\n";
    $t->expect_allowed(upload('batch', $batch),
                       'the same batch file with a GA line 29999 passes, '
                       . 'byte for byte');
}

# a line longer than 8 MB: a clear error, nothing upstream, NGINX serves on
{
    my $huge = qq({"a":1}\n{"messages":") . ('y' x (9 * 1024 * 1024));
    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        my $r = $t->request(upload('fine-tune', $huge, via => $via));
        ok(is_denial($r, 400, 'InvalidBody',
                     "$how: a 9 MB line without newline is refused"),
           "$how: refused");
        like(error_message($r), qr/^line 2 is longer than 8388608 bytes/,
             "$how: the message names the line and the limit");
    }

    $t->expect_allowed(upload('fine-tune', qq({"a":"after"}\n)),
                       'NGINX still serves after the long line');
}

ok($t->error_log_clean, 'error log clean');

done_testing();
